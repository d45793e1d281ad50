-- Loaded at startup: the jsonc filetype for dev container configs and the
-- :Devc* commands. The work starts with require("devc").setup() (a command
-- run before it calls setup() with the defaults).

if vim.g.loaded_devc then
  return
end
vim.g.loaded_devc = true

if vim.fn.has("nvim-0.7") ~= 1 then
  vim.api.nvim_err_writeln("devc: needs Neovim 0.7 or newer")
  return
end

-- devcontainer.json allows comments and trailing commas: it is jsonc, not json.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = vim.api.nvim_create_augroup("devc_filetype", { clear = true }),
  pattern = { "devcontainer.json", ".devcontainer.json" },
  callback = function(args)
    if vim.bo[args.buf].filetype ~= "jsonc" then
      vim.bo[args.buf].filetype = "jsonc"
    end
  end,
})

local function command(name, fn, opts)
  vim.api.nvim_create_user_command(name, fn, opts)
end

command("DevcUp", function()
  require("devc").up()
end, { desc = "devc: create or start the dev container (devc up)" })

command("DevcRebuild", function(args)
  require("devc").rebuild(nil, args.bang)
end, { bang = true, desc = "devc: rebuild the dev container (! without the image cache)" })

command("DevcStop", function()
  require("devc").stop()
end, { desc = "devc: stop the dev container" })

command("DevcDown", function()
  require("devc").down()
end, { desc = "devc: stop and remove the dev container" })

command("DevcLog", function()
  require("devc").log()
end, { desc = "devc: show devc's output and the container log" })

command("DevcCancel", function()
  require("devc").cancel()
end, { desc = "devc: cancel the running Up/Rebuild/Stop/Down" })

command("DevcExec", function(args)
  require("devc").exec(args.fargs)
end, { nargs = "*", complete = "shellcmd", desc = "devc: run a command in the dev container (devc exec)" })
