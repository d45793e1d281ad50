-- nvim-dap integration: the `devcontainer` adapter (`devc dap` over stdio,
-- nvim-dap's `executable` adapter shape) and the default launch
-- configurations (arguments as in schemas/dap-launch.schema.json). Newer
-- nvim-dap gets them from a config provider (any buffer of a workspace with a
-- dev container); older versions through dap.configurations.<filetype>.

local workspace = require("devc.workspace")

local M = {}

M.type = "devcontainer"
M.provider = "devc"

local NAME = "Run in dev container"
local NAME_READY = "Run in dev container, wait until ready"
-- VS Code's serverReadyAction pattern, which devc dap also defaults to.
local DEFAULT_PATTERN = "listening on.* (https?://\\S+|[0-9]+)"

local last_command = nil

--- The adapter table registered as dap.adapters.devcontainer.
function M.adapter(opts)
  return { type = "executable", command = opts.devc, args = { "dap" } }
end

-- The config of `bufnr`'s workspace (nil when there is none or several).
local function config_for(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr or 0)
  if workspace.is_config(path) then
    return vim.fn.fnamemodify(path, ":p")
  end
  local found = workspace.find_configs(path ~= "" and vim.fn.fnamemodify(path, ":p:h") or vim.fn.getcwd())
  if #found == 1 then
    return found[1]
  end
  return nil
end

local function ask_command(dap)
  local command = vim.fn.input({ prompt = "Command to run in the dev container: ", default = last_command or "" })
  if command == nil or vim.trim(command) == "" then
    return dap.ABORT
  end
  last_command = command
  return command
end

--- The default configurations. With `config` (a devcontainer.json path) they
--- name it and its workspace; without, devc dap uses its working directory
--- (Neovim's) as the workspace, as `devc up` would.
function M.configurations(dap, config)
  local base = function(name)
    local c = { type = M.type, request = "launch", name = name }
    if config then
      c.workspaceFolder = workspace.workspace_folder(config)
      c.config = config
    end
    -- nvim-dap calls function-valued top-level properties when the session starts.
    c.command = function()
      return ask_command(dap)
    end
    return c
  end
  local run = base(NAME)
  local ready = base(NAME_READY)
  ready.readiness = function()
    local pattern = vim.fn.input({ prompt = "Ready when the output matches: ", default = DEFAULT_PATTERN })
    if pattern == nil or pattern == "" then
      pattern = DEFAULT_PATTERN
    end
    return { pattern = pattern }
  end
  return { run, ready }
end

local function ours(c)
  return type(c) == "table" and c.type == M.type and (c.name == NAME or c.name == NAME_READY)
end

--- What the `devcontainer/ready` event (body {uri, port, elapsedMs, action})
--- does: say so, and open the URI when the configuration asked for it.
function M.on_ready(body)
  body = type(body) == "table" and body or {}
  local uri = type(body.uri) == "string" and body.uri or nil
  vim.notify("devc: ready" .. (uri and (": " .. uri) or ""), vim.log.levels.INFO)
  if body.action == "openExternally" and uri then
    if vim.ui.open then
      vim.ui.open(uri)
    else
      vim.notify("devc: open " .. uri .. " in a browser (Neovim 0.10+ opens it itself)", vim.log.levels.INFO)
    end
  end
end

--- Registers the adapter (and the configurations) with nvim-dap. Returns false
--- when nvim-dap is not installed.
function M.register(opts)
  local ok, dap = pcall(require, "dap")
  if not ok or type(dap) ~= "table" or type(dap.adapters) ~= "table" then
    return false
  end
  dap.adapters[M.type] = M.adapter(opts)
  -- devc dap's custom event; without a listener nvim-dap only logs it.
  if type(dap.listeners) == "table" and type(dap.listeners.after) == "table" then
    local event = "event_devcontainer/ready"
    dap.listeners.after[event] = dap.listeners.after[event] or {}
    dap.listeners.after[event][M.provider] = function(_, body)
      M.on_ready(body)
    end
  end
  if not opts.dap.configurations then
    return true
  end
  if type(dap.providers) == "table" and type(dap.providers.configs) == "table" then
    dap.providers.configs[M.provider] = function(bufnr)
      local config = config_for(bufnr)
      if config == nil then
        return {}
      end
      return M.configurations(dap, config)
    end
  else
    dap.configurations = dap.configurations or {}
    for _, ft in ipairs(opts.dap.filetypes) do
      local list = {}
      for _, c in ipairs(dap.configurations[ft] or {}) do
        if not ours(c) then
          table.insert(list, c)
        end
      end
      for _, c in ipairs(M.configurations(dap, nil)) do
        -- Resolved when the session starts, from the buffer it starts in.
        c.workspaceFolder = function()
          local config = config_for(0)
          return config and workspace.workspace_folder(config) or nil
        end
        c.config = function()
          return config_for(0)
        end
        table.insert(list, c)
      end
      dap.configurations[ft] = list
    end
  end
  return true
end

return M
