-- The "devc://output" buffer: what the server logs while it works (steps,
-- image build and lifecycle hook output, the container log of :DevcLog),
-- kept in memory and shown in a scratch buffer on demand.

local M = {}

local MAX_LINES = 10000
local lines = {}
local buf = nil

local function valid()
  return buf ~= nil and vim.api.nvim_buf_is_valid(buf)
end

--- Adds a message (may hold several lines).
function M.append(message)
  local new = vim.split(message, "\n", { plain = true })
  for _, line in ipairs(new) do
    table.insert(lines, line)
  end
  local dropped = #lines - MAX_LINES
  if dropped > 0 then
    lines = vim.list_slice(lines, dropped + 1)
  end
  if valid() then
    vim.bo[buf].modifiable = true
    if dropped > 0 or #lines == #new then
      -- Trimmed, or the first lines (replacing the empty line a new buffer has).
      vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    else
      vim.api.nvim_buf_set_lines(buf, -1, -1, false, new)
    end
    vim.bo[buf].modifiable = false
  end
end

--- Everything collected so far.
function M.lines()
  return lines
end

--- Shows the buffer in a split (or the window that already shows it).
function M.open(split)
  if not valid() then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, "devc://output")
    vim.bo[buf].bufhidden = "hide"
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].modifiable = false
  end
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd(split or "botright 15split")
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
  end
  vim.api.nvim_set_current_win(win)
  vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  return buf
end

return M
