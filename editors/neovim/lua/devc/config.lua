-- Options of require("devc").setup(): the defaults, and checking what the user
-- passed (wrong types are errors that name the option; unknown keys are
-- reported, so a typo does not silently do nothing).

local M = {}

M.defaults = {
  -- The devc binary: a name looked up on PATH, or a path.
  devc = "devc",
  lsp = {
    -- Start `devc lsp` for devcontainer.json and .devcontainer.json buffers.
    enabled = true,
    -- As in nvim-lspconfig: passed to the client as they are.
    on_attach = nil,
    capabilities = nil,
    handlers = nil,
    settings = nil,
    init_options = nil,
    cmd_env = nil,
    flags = nil,
  },
  -- How `$/progress` of :DevcUp and friends is shown: "echo" (command line),
  -- "notify" (vim.notify, so notification plugins pick it up) or false.
  progress = "echo",
  -- Show the server's code lenses (container state, Up/Rebuild/Stop/Down).
  codelens = true,
  exec = {
    -- Window :DevcExec opens its terminal in.
    split = "botright 15new",
    -- What :DevcExec runs when given no command.
    shell = { "/bin/sh" },
  },
  dap = {
    -- Register the `devcontainer` adapter when nvim-dap is installed.
    enabled = true,
    -- Offer the default "Run in dev container" configuration.
    configurations = true,
    -- Filetypes that get the default configuration on nvim-dap versions
    -- without `dap.providers` (newer ones offer it in any buffer of a
    -- workspace with a dev container).
    filetypes = { "jsonc" },
  },
}

local types = {
  devc = "string",
  lsp = "table",
  ["lsp.enabled"] = "boolean",
  ["lsp.on_attach"] = "function",
  ["lsp.capabilities"] = "table",
  ["lsp.handlers"] = "table",
  ["lsp.settings"] = "table",
  ["lsp.init_options"] = "table",
  ["lsp.cmd_env"] = "table",
  ["lsp.flags"] = "table",
  progress = { "string", "boolean" },
  codelens = "boolean",
  exec = "table",
  ["exec.split"] = "string",
  ["exec.shell"] = "table",
  dap = "table",
  ["dap.enabled"] = "boolean",
  ["dap.configurations"] = "boolean",
  ["dap.filetypes"] = "table",
}

-- Options whose keys are options too.
local sections = { lsp = true, exec = true, dap = true }

local function type_ok(value, expected)
  if type(expected) == "table" then
    for _, t in ipairs(expected) do
      if type(value) == t then
        return true
      end
    end
    return false
  end
  return type(value) == expected
end

local function describe(expected)
  return type(expected) == "table" and table.concat(expected, " or ") or expected
end

-- Copies the valid options of `given` into `clean`; problems go to `problems`
-- ("option `x`: …"), and the default stays for what was wrong.
local function check(given, prefix, problems, clean)
  for key, value in pairs(given) do
    local name = prefix and (prefix .. "." .. key) or tostring(key)
    local expected = types[name]
    if expected == nil then
      table.insert(problems, string.format("unknown option `%s`", name))
    elseif not type_ok(value, expected) then
      table.insert(problems, string.format("option `%s`: expected %s, got %s", name, describe(expected), type(value)))
    elseif name == "progress" and value ~= false and value ~= "echo" and value ~= "notify" then
      table.insert(problems, 'option `progress`: expected "echo", "notify" or false, got ' .. vim.inspect(value))
    elseif sections[name] then
      clean[key] = {}
      check(value, name, problems, clean[key])
    else
      clean[key] = value
    end
  end
end

--- Merges `opts` over the defaults. Returns the options and a list of
--- problems (empty when all is well); a wrong option keeps its default.
function M.resolve(opts)
  if opts == nil then
    opts = {}
  end
  if type(opts) ~= "table" then
    return vim.deepcopy(M.defaults), { "setup() takes a table of options, got " .. type(opts) }
  end
  local problems, clean = {}, {}
  check(opts, nil, problems, clean)
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), clean)
  -- Lists replace, they do not merge index by index.
  if clean.exec and clean.exec.shell then
    merged.exec.shell = clean.exec.shell
  end
  if clean.dap and clean.dap.filetypes then
    merged.dap.filetypes = clean.dap.filetypes
  end
  return merged, problems
end

return M
