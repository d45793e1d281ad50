-- devc for Neovim: require("devc").setup({}) starts `devc lsp` for dev
-- container configs, backs the :Devc* commands and registers the nvim-dap
-- adapter. Options: lua/devc/config.lua; :help devc.

local commands = require("devc.commands")
local compat = require("devc.compat")
local config = require("devc.config")
local lsp = require("devc.lsp")
local workspace = require("devc.workspace")

local M = {}

local options = nil
-- Attach errors already shown (a missing binary is said once, not per buffer).
local reported = {}

local function attach(bufnr)
  if not (options and options.lsp.enabled) then
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if not workspace.is_config(name) then
    return
  end
  local id, err = lsp.attach(options, bufnr)
  if id == nil and not reported[err] then
    -- Once per problem, and outside the autocommand that got us here.
    reported[err] = true
    vim.schedule(function()
      vim.notify("devc: " .. err, vim.log.levels.ERROR)
    end)
  end
end

--- Configures the plugin (every option is optional; see lua/devc/config.lua).
--- Calling it again replaces the previous options.
function M.setup(opts)
  local problems
  options, problems = config.resolve(opts)
  reported = {}
  if #problems > 0 then
    vim.notify("devc: setup(): " .. table.concat(problems, "; "), vim.log.levels.WARN)
  end

  local group = vim.api.nvim_create_augroup("devc", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "jsonc",
    callback = function(args)
      attach(args.buf)
    end,
  })
  if options.codelens then
    vim.api.nvim_create_autocmd({ "BufEnter", "BufWritePost" }, {
      group = group,
      pattern = { "devcontainer.json", ".devcontainer.json" },
      callback = function(args)
        for _, client in ipairs(compat.clients(lsp.name)) do
          if (client.attached_buffers or {})[args.buf] then
            lsp.refresh_codelens(options, client.id)
          end
        end
      end,
    })
  end
  -- Buffers opened before setup() ran (e.g. when the plugin is lazy-loaded).
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == "jsonc" then
      attach(bufnr)
    end
  end

  if options.dap.enabled then
    require("devc.dap").register(options)
  end
  return options
end

--- The options in effect (setup() with no options when it was never called).
function M.options()
  if options == nil then
    M.setup({})
  end
  return options
end

--- Registers the nvim-dap adapter now: for setups that load nvim-dap after
--- devc. Returns false when nvim-dap cannot be loaded.
function M.setup_dap()
  return require("devc.dap").register(M.options())
end

--- Runs a server command on the config the buffer means (the buffer itself,
--- or its workspace's): "up", "rebuild", "rebuildNoCache", "stop", "down", "showLog".
function M.run(name, bufnr)
  if commands.ids[name] == nil then
    local names = vim.tbl_keys(commands.ids)
    table.sort(names)
    return vim.notify(string.format("devc: unknown command %q (known: %s)", tostring(name), table.concat(names, ", ")), vim.log.levels.ERROR)
  end
  commands.execute(M.options(), name, bufnr)
end

function M.up(bufnr)
  M.run("up", bufnr)
end

function M.rebuild(bufnr, no_cache)
  M.run(no_cache and "rebuildNoCache" or "rebuild", bufnr)
end

function M.stop(bufnr)
  M.run("stop", bufnr)
end

function M.down(bufnr)
  M.run("down", bufnr)
end

--- Shows the output buffer, with the container's log appended.
function M.log()
  commands.log(M.options())
end

--- Cancels the commands still running.
function M.cancel()
  commands.cancel()
end

--- Runs `args` (a list of strings; the shell when empty) in the dev container,
--- in a terminal.
function M.exec(args, bufnr)
  return commands.exec(M.options(), args, bufnr)
end

--- The last finished command: { command, config, result } or nil.
function M.last_result()
  return commands.last_result()
end

--- The running command's progress line ("" when idle), for a statusline.
function M.status()
  return lsp.status()
end

return M
