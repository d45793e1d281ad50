-- Which files are dev container configs, which workspace folder each belongs
-- to, and which config a buffer outside one means. The rules are the engine's
-- (server/lsp/src/workspace.rs, server/config/src/discovery.rs), so the
-- plugin, `devc lsp` and `devc exec` agree on the container.

local uv = vim.uv or vim.loop

local M = {}

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

local function basename(path)
  return vim.fn.fnamemodify(path, ":t")
end

local function is_file(path)
  local stat = uv.fs_stat(path)
  return stat ~= nil and stat.type == "file"
end

--- True for a file named devcontainer.json or .devcontainer.json.
function M.is_config(path)
  if path == nil or path == "" then
    return false
  end
  local name = basename(path)
  return name == "devcontainer.json" or name == ".devcontainer.json"
end

--- The workspace folder of a config file (absolute path):
--- `<ws>/.devcontainer/devcontainer.json`, `<ws>/.devcontainer/<sub>/devcontainer.json`
--- and `<ws>/.devcontainer.json` belong to `<ws>`; any other file to its folder.
function M.workspace_folder(config)
  config = vim.fn.fnamemodify(config, ":p")
  local dir = dirname(config)
  if basename(config) == "devcontainer.json" then
    if basename(dir) == ".devcontainer" then
      return dirname(dir)
    end
    local parent = dirname(dir)
    if basename(parent) == ".devcontainer" then
      return dirname(parent)
    end
  end
  return dir
end

--- The configs `devc up --workspace-folder <dir>` would consider, best first:
--- `.devcontainer/devcontainer.json`, `.devcontainer.json`, else every
--- `.devcontainer/<sub>/devcontainer.json` (sorted).
function M.configs_in(dir)
  for _, candidate in ipairs({ dir .. "/.devcontainer/devcontainer.json", dir .. "/.devcontainer.json" }) do
    if is_file(candidate) then
      return { candidate }
    end
  end
  local found = {}
  local subs = vim.fn.glob(dir .. "/.devcontainer/*/devcontainer.json", true, true)
  for _, path in ipairs(subs) do
    if is_file(path) then
      table.insert(found, path)
    end
  end
  table.sort(found)
  return found
end

--- The configs of the nearest workspace at or above `start` (a folder).
--- Returns the list (possibly several sub-folder configs) or an empty list.
function M.find_configs(start)
  local dir = vim.fn.fnamemodify(start, ":p")
  dir = dir:gsub("/+$", "")
  if dir == "" then
    dir = "/"
  end
  while true do
    local found = M.configs_in(dir)
    if #found > 0 then
      return found
    end
    local parent = dirname(dir)
    if parent == dir then
      return {}
    end
    dir = parent
  end
end

return M
