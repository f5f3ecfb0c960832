-- Headless end-to-end test of the ibid Neovim plugin, used exactly as a user would:
-- require("ibid").setup(), open a note, wait for diagnostics, hover, go to definition, apply a
-- quick fix. Run by run.sh; exits non-zero (cquit) on any mismatch or timeout.
--
-- Environment: IBID_BIN (the server binary), NOTE (the note to open), SCENARIO (example|corpus).
local function out(s)
  io.stdout:write(s .. "\n")
end

local function fail(msg)
  out("FAIL: " .. msg)
  vim.cmd("cquit 1")
end

local function find_line(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  error("text not found in buffer: " .. needle)
end

local function ibid_client(bufnr)
  local list = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(list) do
    if client.name == "ibid" then
      return client
    end
  end
  return nil
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function ibid_diagnostics(bufnr)
  local result = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == "ibid" then
      table.insert(result, d)
    end
  end
  return result
end

local function request(bufnr, method, params)
  local client = ibid_client(bufnr)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, 10000)
  if not responses or not responses[client.id] then
    error(method .. " got no answer: " .. vim.inspect(err))
  end
  local response = responses[client.id]
  if response.err then
    error(method .. " failed: " .. vim.inspect(response.err))
  end
  return response.result
end

local function position_params(bufnr, needle, offset)
  local line, col = find_line(bufnr, needle)
  return {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = col + (offset or 0) },
  }
end

local function hover_text(bufnr, needle)
  local result = request(bufnr, "textDocument/hover", position_params(bufnr, needle, 1))
  if not result then
    error("no hover on " .. needle)
  end
  local contents = result.contents
  return type(contents) == "table" and (contents.value or vim.inspect(contents)) or tostring(contents)
end

local function expect_hover(bufnr, needle, expected)
  local text = hover_text(bufnr, needle)
  out("HOVER " .. needle .. ": " .. text:gsub("\n", " "):sub(1, 160))
  if not text:find(expected, 1, true) then
    error("hover on " .. needle .. " lacks " .. expected .. ":\n" .. text)
  end
end

-- Go to definition on a quotation and check that the cursor lands in `file` on `words`.
local function expect_definition(bufnr, needle, file, words)
  local result = request(bufnr, "textDocument/definition", position_params(bufnr, needle, 2))
  local location = result and (result[1] or result)
  if not location or not (location.uri or location.targetUri) then
    error("no definition for " .. needle)
  end
  if vim.lsp.util.show_document then
    vim.lsp.util.show_document(location, "utf-16", { focus = true })
  else
    vim.lsp.util.jump_to_location(location, "utf-16")
  end
  local name = vim.api.nvim_buf_get_name(0)
  if not name:find(file, 1, true) then
    error("definition of " .. needle .. " opened " .. name)
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_buf_get_lines(0, cursor[1] - 1, cursor[1], false)[1]
  out("DEFINITION " .. needle .. " -> " .. name .. ":" .. cursor[1] .. ":" .. cursor[2])
  local at_cursor = line:sub(cursor[2] + 1)
  if not at_cursor:lower():find(words:lower(), 1, true) then
    error("cursor is not on the quoted words " .. words .. ": " .. at_cursor)
  end
  vim.cmd("buffer " .. bufnr)
end

local function wait_for_codes(bufnr, codes)
  local ok = vim.wait(20000, function()
    local seen = {}
    for _, d in ipairs(ibid_diagnostics(bufnr)) do
      seen[code_of(d)] = true
    end
    for _, code in ipairs(codes) do
      if not seen[code] then
        return false
      end
    end
    return true
  end, 50)
  for _, d in ipairs(ibid_diagnostics(bufnr)) do
    out(string.format("DIAG %d:%d %s %s", d.lnum, d.col, code_of(d), d.message:sub(1, 100)))
  end
  if not ok then
    error("expected diagnostics " .. table.concat(codes, ", ") .. " did not all arrive")
  end
end

local function apply_fix(bufnr, needle, title_part, expected_text)
  local line = find_line(bufnr, needle)
  local diagnostics = {}
  for _, d in ipairs(ibid_diagnostics(bufnr)) do
    if d.lnum == line then
      -- As vim.lsp.buf.code_action() sends them: the LSP diagnostic (Neovim 0.7 keeps only
      -- code, data and related information in user_data.lsp).
      local lsp = (d.user_data and d.user_data.lsp) or {}
      table.insert(diagnostics, {
        range = {
          start = { line = d.lnum, character = d.col },
          ["end"] = { line = d.end_lnum, character = d.end_col },
        },
        severity = d.severity,
        message = d.message,
        source = d.source,
        code = lsp.code or code_of(d),
        data = lsp.data,
        relatedInformation = lsp.relatedInformation,
      })
    end
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 0 } },
    context = { diagnostics = diagnostics },
  }
  local actions = request(bufnr, "textDocument/codeAction", params) or {}
  for _, action in ipairs(actions) do
    if action.title:find(title_part, 1, true) and action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
      local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
      if not text:find(expected_text, 1, true) then
        error("after '" .. action.title .. "' the buffer lacks " .. expected_text)
      end
      out("FIX applied: " .. action.title)
      return
    end
  end
  error("no code action containing '" .. title_part .. "' among " .. vim.inspect(actions))
end

local ok, err = pcall(function()
  vim.cmd("filetype on")
  require("ibid").setup({ cmd = { os.getenv("IBID_BIN"), "lsp" } })
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("NOTE")))
  local bufnr = vim.api.nvim_get_current_buf()
  if not vim.wait(10000, function()
    local client = ibid_client(bufnr)
    return client ~= nil and client.initialized == true
  end, 20) then
    error("the ibid server did not start for " .. os.getenv("NOTE"))
  end
  out("nvim " .. vim.version().major .. "." .. vim.version().minor .. ": ibid attached")

  local scenario = os.getenv("SCENARIO")
  if scenario == "example" then
    wait_for_codes(bufnr, {
      "quote-inexact", "quote-misattributed", "quote-not-found", "unknown-source", "uncited-quote",
    })
    expect_hover(bufnr, "JBC \"convened", "Joint Basin Commission")
    expect_hover(bufnr, "Riverbend Principle, under", "downstream neighbours")
    expect_definition(bufnr, "\"no state may alter", "sources/halden2021.md", "no state may alter")
    apply_fix(bufnr, "fell to 28 per cent", "source", "fell to 38 per cent")
  elseif scenario == "corpus" then
    wait_for_codes(bufnr, { "quote-not-found", "unknown-source" })
    expect_hover(bufnr, "Shanghai Spirit", "Shanghai Spirit")
    expect_hover(bufnr, "BRI", "Belt and Road")
    expect_definition(bufnr, "\"community with a shared future", "tsjeng2024.md", "community with a shared future")
  else
    error("unknown SCENARIO " .. tostring(scenario))
  end
  out("PASS " .. scenario)
end)
if not ok then
  fail(tostring(err))
end
vim.cmd("qall!")
