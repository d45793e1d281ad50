-- The few Neovim APIs that changed between 0.7 and today, behind one name each:
-- starting/attaching an LSP client (vim.lsp.start on 0.10+, start_client +
-- buf_attach_client before: older vim.lsp.start may not take a buffer), listing
-- clients, calling client methods (plain functions before 0.11, methods after),
-- opening a terminal job.

local M = {}

local has = function(version)
  return vim.fn.has("nvim-" .. version) == 1
end

M.has = has

--- Calls a client method: `client:request(...)` on 0.11+, `client.request(...)` before.
function M.call(client, name, ...)
  if has("0.11") then
    return client[name](client, ...)
  end
  return client[name](...)
end

--- Clients named `name` that are running (initialized or starting).
function M.clients(name)
  local list
  if vim.lsp.get_clients then
    list = vim.lsp.get_clients({ name = name })
  elseif has("0.8") then
    list = vim.lsp.get_active_clients({ name = name })
  else
    list = {}
    for _, client in pairs(vim.lsp.get_active_clients()) do
      if client.name == name then
        table.insert(list, client)
      end
    end
  end
  return list
end

--- True when the client has stopped (or is stopping).
function M.is_stopped(client)
  return M.call(client, "is_stopped")
end

-- Clients this module started before 0.10, by root folder (vim.lsp.start
-- does the reuse on 0.10+).
local started = {}

--- Starts (or reuses) the client for `config.root_dir` and attaches `bufnr`.
--- Returns the client id, or nil and an error message.
function M.start(config, bufnr)
  if has("0.10") then
    local ok, id = pcall(vim.lsp.start, config, { bufnr = bufnr })
    if not ok then
      return nil, tostring(id)
    end
    return id
  end
  local id = started[config.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if client == nil or M.is_stopped(client) then
    local ok, new_id = pcall(vim.lsp.start_client, config)
    if not ok or new_id == nil then
      return nil, tostring(new_id or "vim.lsp.start_client failed")
    end
    id = new_id
    started[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Runs `cmd` (a list: program and arguments, no shell) in a terminal in the
--- current window's buffer, which must be empty. Returns the job id.
function M.terminal(cmd, opts)
  if has("0.11") then
    opts = vim.tbl_extend("force", opts, { term = true })
    return vim.fn.jobstart(cmd, opts)
  end
  return vim.fn.termopen(cmd, opts)
end

--- Fires `User <pattern>` with `data` (data reaches handlers on 0.8+).
function M.user_event(pattern, data)
  local ok = pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false, data = data })
  if not ok then
    pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false })
  end
end

return M
