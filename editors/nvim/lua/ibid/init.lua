-- ibid for Neovim: starts `ibid lsp` for Markdown buffers inside an ibid workspace.
--
--   require("ibid").setup({
--     cmd = { "ibid", "lsp" },          -- the server command, as a list
--     settings = { checks = { ["min-quote-words"] = 4 } },  -- mirrors ibid.toml
--   })
--
-- Works on Neovim 0.7 (vim.lsp.start_client + buf_attach_client) through 0.11+ (vim.lsp.start).
-- No keymaps are set: the built-in LSP mappings and your own (K, gd, gr...) apply.
local M = {}

local defaults = {
  cmd = { "ibid", "lsp" },
  settings = {},
  filetypes = { "markdown", "markdown.pandoc", "pandoc" },
  -- Searched upwards from the buffer, in this order of preference.
  root_markers = { "ibid.toml", "corpus", "sources", ".git" },
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)

-- Clients by root, for Neovim 0.7 (0.8+ reuses clients by itself).
local clients_by_root = {}

local function exists(path)
  return vim.loop.fs_stat(path) ~= nil
end

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

--- The workspace root for a file: the nearest folder holding one of the root markers, trying the
--- markers in order of preference. nil when none is found.
function M.find_root(path)
  local start = dirname(vim.fn.fnamemodify(path, ":p"))
  for _, marker in ipairs(M.config.root_markers) do
    local dir = start
    while dir and dir ~= "" do
      if exists(dir .. "/" .. marker) then
        return dir
      end
      local parent = dirname(dir)
      if parent == dir then
        break
      end
      dir = parent
    end
  end
  return nil
end

local function client_config(root)
  local config = M.config
  return {
    name = "ibid",
    cmd = config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    settings = { ibid = config.settings },
    init_options = config.settings,
    on_attach = config.on_attach,
    capabilities = config.capabilities or vim.lsp.protocol.make_client_capabilities(),
  }
end

--- Starts (or reuses) the ibid client for `bufnr` if the buffer belongs to an ibid workspace.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  local root = M.find_root(name)
  if not root then
    return nil
  end
  if vim.fn.executable(M.config.cmd[1]) ~= 1 then
    vim.notify_once(
      "ibid: `" .. M.config.cmd[1] .. "` is not executable; install it with `cargo install --path .` "
        .. "from the ibid repository, or set `cmd` in require('ibid').setup()",
      vim.log.levels.WARN
    )
    return nil
  end
  if vim.fn.has("nvim-0.8") == 1 then
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client(client_config(root))
    clients_by_root[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  local group = vim.api.nvim_create_augroup("ibid", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

return M
