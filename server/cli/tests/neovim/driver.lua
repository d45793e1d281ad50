-- Drives the devc Neovim plugin inside `nvim --headless` for server/cli/tests/neovim.rs
-- and writes what the editor saw to a JSON report. Neovim's exit code is 0 only
-- when every step ran to completion (diagnostics arrived, hover answered,
-- :DevcUp succeeded, …); the Rust test checks the contents.
--
-- Environment: DEVC_BIN (the devc binary), DEVC_CONFIG (the devcontainer.json to
-- open), DEVC_REPORT (where to write the report), DEVC_STEPS (comma-separated:
-- diagnostics, hover, fix, up, exec, dap), DEVC_HOVER ("line,col": 1-based line,
-- 0-based byte column), DEVC_FIXED (the text "fix" writes to the file),
-- DEVC_EXEC (the command :DevcExec runs), DEVC_INPUTS (JSON object: prompt → answer
-- for vim.fn.input in the dap step).

local report = { steps = {}, notifications = {}, echoes = {} }
local TIMEOUT = 30000
local UP_TIMEOUT = 300000

local function env(name)
  local value = os.getenv(name)
  if value == nil then
    error("missing environment variable " .. name)
  end
  return value
end

local function write_report()
  local file = assert(io.open(env("DEVC_REPORT"), "w"))
  file:write(vim.fn.json_encode(report))
  file:close()
end

local function all_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  if filter and filter.bufnr then
    return vim.tbl_values(vim.lsp.buf_get_clients(filter.bufnr))
  end
  return vim.lsp.get_active_clients()
end

-- Stop the language servers (they would outlive a killed editor otherwise).
local function stop_clients()
  local clients = all_clients()
  if #clients > 0 then
    vim.lsp.stop_client(clients)
    vim.wait(5000, function()
      return #all_clients() == 0
    end, 50)
  end
end

local function finish(code)
  pcall(stop_clients)
  write_report()
  if code == 0 then
    vim.cmd("qall!")
  else
    vim.cmd("cquit " .. code)
  end
end

local function wait(what, ms, condition)
  if not vim.wait(ms, condition, 50) then
    error("timed out waiting for " .. what)
  end
end

-- What the plugin shows the user.
local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(report.notifications, { message = message, level = level or vim.log.levels.INFO })
  return notify(message, level, opts)
end
local echo = vim.api.nvim_echo
vim.api.nvim_echo = function(chunks, history, opts)
  local text = {}
  for _, chunk in ipairs(chunks) do
    table.insert(text, chunk[1])
  end
  table.insert(report.echoes, table.concat(text))
  return echo(chunks, history, opts)
end

local function devc_client(bufnr)
  for _, client in ipairs(all_clients({ bufnr = bufnr })) do
    if client.name == "devc" then
      return client
    end
  end
end

local steps = {}

function steps.diagnostics(buf)
  wait("diagnostics", TIMEOUT, function()
    return #vim.diagnostic.get(buf) > 0
  end)
  -- Let a second publish (if any) land before reading.
  vim.wait(300)
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(report.diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      message = d.message,
      code = lsp.code or d.code,
      source = d.source,
    })
  end
  table.sort(report.diagnostics, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
end

function steps.hover(buf)
  local line, col = env("DEVC_HOVER"):match("^(%d+),(%d+)$")
  vim.api.nvim_win_set_cursor(0, { tonumber(line), tonumber(col) })
  local params = vim.lsp.util.make_position_params(0, devc_client(buf).offset_encoding)
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, TIMEOUT)
  for _, response in pairs(responses or {}) do
    local result = response.result
    if result and result.contents then
      local contents = result.contents
      report.hover = type(contents) == "string" and contents or contents.value
      report.hover_range = result.range
    end
  end
  if report.hover == nil then
    error("no hover text: " .. vim.inspect(responses))
  end
end

function steps.fix(buf)
  local text = env("DEVC_FIXED")
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text, "\n", { plain = true }))
  vim.cmd("silent write")
  wait("the diagnostics to clear after the fix", TIMEOUT, function()
    return #vim.diagnostic.get(buf) == 0
  end)
  report.diagnostics_after_fix = #vim.diagnostic.get(buf)
end

function steps.up()
  vim.cmd("DevcUp")
  wait(":DevcUp to finish", UP_TIMEOUT, function()
    return require("devc").last_result() ~= nil
  end)
  local last = require("devc").last_result()
  report.up = last
  if type(last.result) ~= "table" or last.result.outcome ~= "success" then
    error(":DevcUp failed: " .. vim.inspect(last.result))
  end
end

function steps.exec()
  local before = vim.api.nvim_get_current_buf()
  vim.cmd("DevcExec " .. env("DEVC_EXEC"))
  local term = vim.api.nvim_get_current_buf()
  if term == before or vim.bo[term].buftype ~= "terminal" then
    error(":DevcExec did not open a terminal")
  end
  local job = vim.b[term].terminal_job_id
  local code = vim.fn.jobwait({ job }, UP_TIMEOUT)[1]
  -- The terminal shows the output once it has processed it; the exit line comes last.
  local function lines()
    return vim.api.nvim_buf_get_lines(term, 0, -1, false)
  end
  wait("the terminal to show the exit", TIMEOUT, function()
    return table.concat(lines(), "\n"):find("[Process exited", 1, true) ~= nil
  end)
  report.exec = { code = code, lines = lines() }
  vim.cmd("stopinsert")
  if code ~= 0 then
    error(":DevcExec exited with " .. tostring(code))
  end
end

-- Resolves a configuration as nvim-dap does when a session starts: function
-- values of top-level properties are called.
local function resolve(config)
  local resolved = {}
  for key, value in pairs(config) do
    if type(value) == "function" then
      value = value()
    end
    resolved[key] = value
  end
  return resolved
end

function steps.dap(buf)
  local dap = require("dap")
  local inputs = vim.fn.json_decode(env("DEVC_INPUTS"))
  report.prompts = {}
  vim.fn.input = function(opts)
    table.insert(report.prompts, opts.prompt)
    local answer = inputs[opts.prompt]
    if answer == nil then
      return opts.default or ""
    end
    return answer
  end
  local configurations
  if dap.providers then
    local provider = dap.providers.configs.devc
    if provider == nil then
      error("no dap.providers.configs.devc")
    end
    configurations = provider(buf)
    report.dap_providers = vim.tbl_keys(dap.providers.configs)
  else
    configurations = dap.configurations.jsonc or {}
  end
  local resolved = {}
  for _, c in ipairs(configurations) do
    table.insert(resolved, resolve(c))
  end
  report.dap = {
    adapters = dap.adapters,
    configurations = resolved,
    configuration_filetypes = vim.tbl_keys(dap.configurations),
  }
  if dap.adapters.devcontainer == nil then
    error("dap.adapters.devcontainer is not registered")
  end
  -- What the plugin does with devc dap's custom event, as nvim-dap calls it.
  local listeners = dap.listeners.after["event_devcontainer/ready"] or {}
  report.dap.ready_listeners = vim.tbl_keys(listeners)
  for _, listener in pairs(listeners) do
    listener({}, { uri = "http://localhost:3000", port = 3000, elapsedMs = 5, action = "notify" })
  end
end

local function main()
  local v = vim.version()
  report.nvim = string.format("%d.%d.%d", v.major, v.minor, v.patch)
  require("devc").setup({ devc = env("DEVC_BIN") })
  vim.cmd("edit " .. vim.fn.fnameescape(env("DEVC_CONFIG")))
  local buf = vim.api.nvim_get_current_buf()
  report.filetype = vim.bo[buf].filetype
  wait("the devc client to attach and initialize", TIMEOUT, function()
    local client = devc_client(buf)
    return client ~= nil and client.initialized == true
  end)
  report.root_dir = devc_client(buf).config.root_dir
  for step in env("DEVC_STEPS"):gmatch("[^,]+") do
    if steps[step] == nil then
      error("unknown step " .. step)
    end
    steps[step](buf)
    table.insert(report.steps, step)
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = tostring(err)
  io.stderr:write("driver: " .. tostring(err) .. "\n")
  finish(1)
else
  finish(0)
end
