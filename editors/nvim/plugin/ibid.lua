-- ibid: nothing starts until require("ibid").setup() is called; this only adds a command.
if vim.g.loaded_ibid then
  return
end
vim.g.loaded_ibid = true

vim.api.nvim_create_user_command("IbidRestart", function()
  local list = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in ipairs(list) do
    if client.name == "ibid" then
      client.stop()
    end
  end
  vim.defer_fn(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        require("ibid").attach(bufnr)
      end
    end
  end, 500)
end, { desc = "Restart the ibid language server" })
