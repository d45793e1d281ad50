-- What :DevcUp, :DevcRebuild, :DevcStop, :DevcDown, :DevcLog, :DevcCancel and
-- :DevcExec do: find the config they act on (the current buffer's, else the
-- workspace's at or above the current file or folder), then run the server's
-- `workspace/executeCommand` with a progress token, or `devc exec` in a
-- terminal (argv, never a shell string).

local compat = require("devc.compat")
local lsp = require("devc.lsp")
local output = require("devc.output")
local workspace = require("devc.workspace")

local M = {}

--- Server command ids (server/lsp/src/commands.rs) and their titles.
M.ids = {
  up = { id = "devcontainer.up", title = "Up" },
  rebuild = { id = "devcontainer.rebuild", title = "Rebuild" },
  rebuildNoCache = { id = "devcontainer.rebuildNoCache", title = "Rebuild without cache" },
  stop = { id = "devcontainer.stop", title = "Stop" },
  down = { id = "devcontainer.down", title = "Down" },
  showLog = { id = "devcontainer.showLog", title = "Show container log" },
}

local last_result = nil
local running = {} -- progress token -> client id
local counter = 0

local function notify(message, level)
  vim.notify("devc: " .. message, level or vim.log.levels.INFO)
end

--- Calls `fn(config_path)` with the config `bufnr` means: itself if it is one,
--- else the nearest workspace's (asking when a workspace has several).
function M.target(bufnr, fn)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if workspace.is_config(path) then
    return fn(vim.fn.fnamemodify(path, ":p"))
  end
  local start = path ~= "" and vim.fn.fnamemodify(path, ":p:h") or vim.fn.getcwd()
  local found = workspace.find_configs(start)
  if #found == 0 and start ~= vim.fn.getcwd() then
    found = workspace.find_configs(vim.fn.getcwd())
  end
  if #found == 0 then
    return notify(
      string.format(
        "no dev container config in %s or above (looked for .devcontainer/devcontainer.json, .devcontainer.json, .devcontainer/<folder>/devcontainer.json); open one, or :cd into its workspace",
        start
      ),
      vim.log.levels.ERROR
    )
  end
  if #found == 1 then
    return fn(found[1])
  end
  vim.ui.select(found, { prompt = "devc: which dev container config?" }, function(choice)
    if choice then
      fn(choice)
    end
  end)
end

-- The buffer of `config`, loaded (so its client gets the real text).
local function config_buffer(config)
  local bufnr = vim.fn.bufadd(config)
  vim.fn.bufload(bufnr)
  return bufnr
end

local function finish(opts, name, config, client_id, result)
  last_result = { command = name, config = config, result = result }
  compat.user_event("DevcCommandDone", last_result)
  lsp.refresh_codelens(opts, client_id)
end

--- Runs server command `name` (a key of M.ids) on the config `bufnr` means.
function M.execute(opts, name, bufnr)
  local command = M.ids[name]
  M.target(bufnr or vim.api.nvim_get_current_buf(), function(config)
    local cbuf = config_buffer(config)
    local client_id, err = lsp.attach(opts, cbuf)
    if client_id == nil then
      finish(opts, name, config, nil, { outcome = "error", message = err })
      return notify(err, vim.log.levels.ERROR)
    end
    lsp.when_ready(client_id, function(client, wait_err)
      if client == nil then
        finish(opts, name, config, client_id, { outcome = "error", message = wait_err })
        return notify(wait_err, vim.log.levels.ERROR)
      end
      counter = counter + 1
      local token = string.format("devc-nvim-%s-%d", name, counter)
      running[token] = client_id
      local params = { command = command.id, arguments = { vim.uri_from_fname(config) }, workDoneToken = token }
      local sent = compat.call(client, "request", "workspace/executeCommand", params, function(rpc_err, result)
        running[token] = nil
        if rpc_err then
          local message = type(rpc_err) == "table" and rpc_err.message or tostring(rpc_err)
          finish(opts, name, config, client_id, { outcome = "error", message = message })
          return notify(command.title .. ": " .. message, vim.log.levels.ERROR)
        end
        if type(result) ~= "table" then
          result = { outcome = "error", message = "the server answered " .. vim.inspect(result) }
          notify(command.title .. ": " .. result.message, vim.log.levels.ERROR)
        elseif result.outcome == "success" then
          local id = type(result.containerId) == "string" and result.containerId:sub(1, 12) or nil
          notify(command.title .. ": done" .. (id and (" (container " .. id .. ")") or ""))
        end
        -- outcome "error": the server has already shown the message (window/showMessage).
        finish(opts, name, config, client_id, result)
      end, cbuf)
      if not sent then
        running[token] = nil
        local message = "the devc language server is shutting down; run the command again"
        finish(opts, name, config, client_id, { outcome = "error", message = message })
        notify(message, vim.log.levels.ERROR)
      end
    end)
  end)
end

--- The result of the last command that finished: { command, config, result }
--- (result is the server's answer: outcome, containerId, … or message).
function M.last_result()
  return last_result
end

--- Asks the server to cancel every command still running.
function M.cancel()
  local any = false
  for token, client_id in pairs(running) do
    local client = vim.lsp.get_client_by_id(client_id)
    if client then
      compat.call(client, "notify", "window/workDoneProgress/cancel", { token = token })
      any = true
    end
  end
  if not any then
    notify("nothing to cancel")
  end
end

--- :DevcLog: asks the server for the container's log (it arrives in the
--- output buffer) and shows that buffer.
function M.log(opts)
  M.execute(opts, "showLog")
  output.open()
end

--- :DevcExec: runs `args` (a list; the configured shell when empty) in the
--- dev container of the current buffer's workspace, in a terminal.
function M.exec(opts, args, bufnr)
  M.target(bufnr or vim.api.nvim_get_current_buf(), function(config)
    local missing = lsp.missing_binary(opts)
    if missing then
      return notify(missing, vim.log.levels.ERROR)
    end
    local root = workspace.workspace_folder(config)
    local cmd = { opts.devc, "exec", "--workspace-folder", root, "--config", config, "--" }
    for _, arg in ipairs((args and #args > 0) and args or opts.exec.shell) do
      table.insert(cmd, arg)
    end
    vim.cmd(opts.exec.split)
    local job = compat.terminal(cmd, {
      cwd = root,
      on_exit = function(_, code)
        if code ~= 0 then
          notify(string.format("devc exec exited with %d (is the container up? :DevcUp)", code), vim.log.levels.WARN)
        end
      end,
    })
    if job <= 0 then
      return notify("could not start " .. opts.devc .. " exec", vim.log.levels.ERROR)
    end
    vim.cmd("startinsert")
    return job
  end)
end

return M
