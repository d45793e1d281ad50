-- The `devc lsp` client: its configuration (lspconfig-style options passed
-- through), attaching config buffers (one client per workspace folder), the
-- handlers that turn `$/progress` into messages and collect `window/logMessage`
-- output, and waiting for a client to be initialized before using it.

local uv = vim.uv or vim.loop
local compat = require("devc.compat")
local output = require("devc.output")
local workspace = require("devc.workspace")

local M = {}

M.name = "devc"

-- Latest progress line (for require("devc").status()) and the titles of the
-- progress tokens in flight.
local progress = { text = "", titles = {} }

local function show(opts, text, level)
  if opts.progress == "notify" then
    vim.notify("devc: " .. text, level or vim.log.levels.INFO)
  elseif opts.progress == "echo" then
    vim.api.nvim_echo({ { "devc: " .. text } }, false, {})
  end
end

local function on_progress(opts, result)
  local value = type(result) == "table" and result.value or nil
  if type(value) ~= "table" or value.kind == nil then
    return
  end
  local token = tostring(result.token)
  local text
  if value.kind == "begin" then
    progress.titles[token] = value.title or "devc"
    text = progress.titles[token] .. (value.message and (": " .. value.message) or "…")
  elseif value.kind == "report" then
    text = (progress.titles[token] or "devc") .. (value.message and (": " .. value.message) or "")
  elseif value.kind == "end" then
    text = (progress.titles[token] or "devc") .. ": " .. (value.message or "done")
    progress.titles[token] = nil
  else
    return
  end
  progress.text = value.kind == "end" and "" or text
  show(opts, text)
  pcall(vim.cmd, "redrawstatus")
end

--- The current progress line, "" when nothing runs.
function M.status()
  return progress.text
end

local function refresh_codelens(opts, client_id)
  if not opts.codelens then
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  if client == nil then
    return
  end
  for bufnr in pairs(client.attached_buffers or {}) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      if vim.lsp.codelens.enable then
        pcall(vim.lsp.codelens.enable, true, { bufnr = bufnr })
      elseif compat.has("0.10") then
        pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
      elseif bufnr == vim.api.nvim_get_current_buf() then
        -- Before 0.10, refresh() works on the current buffer only.
        pcall(vim.lsp.codelens.refresh)
      end
    end
  end
end

M.refresh_codelens = refresh_codelens

--- The client configuration for the workspace folder `root`.
function M.config(opts, root)
  local user = opts.lsp
  local handlers = vim.tbl_extend("force", {}, user.handlers or {})
  local user_progress = handlers["$/progress"]
  handlers["$/progress"] = function(err, result, ctx, config)
    -- Keep the default (it feeds LspProgress / statusline plugins) or the user's.
    pcall(user_progress or vim.lsp.handlers["$/progress"], err, result, ctx, config)
    on_progress(opts, result)
  end
  local user_log = handlers["window/logMessage"]
  handlers["window/logMessage"] = function(err, result, ctx, config)
    if type(result) == "table" and type(result.message) == "string" then
      output.append(result.message)
    end
    -- And what the default (or the user's) does: write it to the LSP log.
    return (user_log or vim.lsp.handlers["window/logMessage"])(err, result, ctx, config)
  end
  handlers["workspace/codeLens/refresh"] = handlers["workspace/codeLens/refresh"]
    or function(_, _, ctx)
      vim.schedule(function()
        refresh_codelens(opts, ctx.client_id)
      end)
      return vim.NIL
    end
  return {
    name = M.name,
    cmd = { opts.devc, "lsp" },
    cmd_env = user.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    capabilities = user.capabilities or vim.lsp.protocol.make_client_capabilities(),
    handlers = handlers,
    settings = user.settings or {},
    init_options = user.init_options,
    flags = user.flags,
    on_attach = function(client, bufnr)
      -- Completion with <C-x><C-o> (Neovim 0.10+ sets this itself).
      if vim.bo[bufnr].omnifunc == "" then
        vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
      end
      refresh_codelens(opts, client.id)
      if user.on_attach then
        user.on_attach(client, bufnr)
      end
    end,
  }
end

--- A message saying how to fix it when `opts.devc` is not an executable, else nil.
function M.missing_binary(opts)
  if vim.fn.executable(opts.devc) == 1 then
    return nil
  end
  return string.format(
    "`%s` is not an executable on PATH; install devc (cargo install --path server/cli in the devc repository) or give its path: require(\"devc\").setup({ devc = \"/path/to/devc\" })",
    opts.devc
  )
end

--- Starts or reuses the client of `bufnr`'s workspace and attaches the
--- buffer, which must hold a dev container config. Returns the client id, or
--- nil and a message.
function M.attach(opts, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if not workspace.is_config(path) then
    return nil, string.format("%s is not a devcontainer.json or .devcontainer.json", path)
  end
  local missing = M.missing_binary(opts)
  if missing then
    return nil, missing
  end
  local root = workspace.workspace_folder(path)
  return compat.start(M.config(opts, root), bufnr)
end

--- Calls `fn(client)` once the client has answered `initialize` (at most
--- `timeout_ms` later; `fn(nil, message)` otherwise).
function M.when_ready(client_id, fn, timeout_ms)
  local deadline = uv.now() + (timeout_ms or 20000)
  local function poll()
    local client = vim.lsp.get_client_by_id(client_id)
    if client == nil or compat.is_stopped(client) then
      return fn(nil, "the devc language server stopped; its messages are in the LSP log (:lua print(vim.lsp.get_log_path()))")
    end
    if client.initialized then
      return fn(client)
    end
    if uv.now() > deadline then
      return fn(nil, "the devc language server did not finish initializing")
    end
    vim.defer_fn(poll, 20)
  end
  poll()
end

return M
