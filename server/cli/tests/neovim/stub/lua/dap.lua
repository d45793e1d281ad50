-- Stands in for nvim-dap (which cannot be installed here) in
-- server/cli/tests/neovim.rs: the public tables of nvim-dap's `dap` module that
-- a plugin registers adapters and configurations in (doc/dap.txt: dap.adapters,
-- dap.configurations, dap.providers.configs, dap.listeners, dap.ABORT). With
-- DEVC_STUB_DAP_PROVIDERS=0 it is an nvim-dap from before config providers.
local M = {
  adapters = {},
  configurations = {},
  listeners = { before = {}, after = {} },
  ABORT = {},
}
if os.getenv("DEVC_STUB_DAP_PROVIDERS") ~= "0" then
  M.providers = {
    configs = {
      -- nvim-dap's two built-in providers (names only; never called here).
      ["dap.global"] = function()
        return {}
      end,
      ["dap.launch.json"] = function()
        return {}
      end,
    },
  }
end
return M
