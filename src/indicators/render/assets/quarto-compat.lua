--[[
quarto-compat.lua -- the small Quarto feature set, for the builtin engine.

Used by indicators.render.builtin for both pandoc runs (FORMAT "html5" and
"typst"). Quarto does all of this itself, so the Quarto engine does not use it.

  * ![Caption](path.png){#fig-x fig-alt="Alt" width=80%}
      -> HTML <figure id="fig-x"><img alt="Alt"><figcaption>Figuur 1: Caption
      -> Typst #figure(image(..., alt: "Alt"), caption: [...]) <fig-x>
    Figures with a fig- id are numbered; others get a plain caption (as Quarto).
  * Pipe tables with a caption `: Caption {#tbl-x}` are numbered "Tabel N".
  * @fig-x / @tbl-x -> "Figuur N" / "Tabel N" (HTML link, Typst reference).
    An unknown fig-/tbl- reference is an error; other @words stay literal text.
  * ::: {.callout-note|warning|important|tip|caution} with an optional first
    `## Title` heading or a title="..." attribute -> a styled box.
  * Columns whose body cells are all numbers (1.234 / 12,3% / -4,5 / 80,4 ▼) and that
    have no explicit alignment are right-aligned. Column widths are automatic
    (the dashes of pipe tables are ignored); in Typst, text columns share the
    free width and number columns fit their content, within a budget that
    leaves the text columns room.
  * Images must be local files that exist (paths relative to the main
    document); anything else is an error, so a report never fetches from
    the network and never silently drops a figure.
]]

local stringify = pandoc.utils.stringify
local is_typst = FORMAT:match("typst") ~= nil

local LABELS = {
  nl = {
    fig = "Figuur", tbl = "Tabel",
    note = "Opmerking", warning = "Waarschuwing", important = "Belangrijk",
    tip = "Tip", caution = "Let op",
  },
  en = {
    fig = "Figure", tbl = "Table",
    note = "Note", warning = "Warning", important = "Important",
    tip = "Tip", caution = "Caution",
  },
}
local labels = LABELS.nl

-- id -> {kind = "fig"|"tbl", n = number}
local numbers = {}

local function typst_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ")
  return '"' .. s .. '"'
end

local function write_typst(blocks)
  local out = pandoc.write(pandoc.Pandoc(blocks), "typst")
  return (out:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Typst markup of many block lists with one pandoc.write: a write per table cell
-- cost about 0.5 s per report (issue 7). The lists are written as one document,
-- separated by a raw marker the writer passes through; each piece is then trimmed
-- as write_typst trims it, so the markup is the same.
local CELL_SEP = "\u{1F}cell\u{1F}"
local function write_many(lists)
  if #lists == 0 then return {} end
  local all = pandoc.Blocks({})
  for i, blocks in ipairs(lists) do
    if i > 1 then all:insert(pandoc.RawBlock("typst", CELL_SEP)) end
    all:extend(blocks)
  end
  local out = pandoc.write(pandoc.Pandoc(all), "typst")
  local pieces, start = {}, 1
  while true do
    local a, b = out:find(CELL_SEP, start, true)
    local piece = out:sub(start, (a or 0) - 1)
    table.insert(pieces, (piece:gsub("^%s+", ""):gsub("%s+$", "")))
    if not a then break end
    start = b + 1
  end
  if #pieces ~= #lists then
    -- a marker inside the text itself: fall back to one write per list
    pieces = {}
    for _, blocks in ipairs(lists) do table.insert(pieces, write_typst(blocks)) end
  end
  return pieces
end

-- All markup of a document is written with one pandoc.write: each call costs about
-- 1.3 ms whatever it writes, and a report made some 40 (a table's cells, each
-- caption, each callout; issue 7). The handlers put a token ("\u{1F}piece<n>\u{1F}")
-- in their raw Typst instead; the last pass writes every piece at once and puts each
-- in place of its token. A piece may hold tokens itself (a table in a callout).
local PIECE = "\u{1F}piece(%d+)\u{1F}"
local pending = {}

local function defer(blocks)
  table.insert(pending, blocks)
  return "\u{1F}piece" .. #pending .. "\u{1F}"
end

local function typst_markup(inlines)
  return defer({ pandoc.Plain(inlines) })
end

local function typst_blocks(blocks)
  return defer(blocks)
end

local function typst_blocks_many(lists)
  local tokens = {}
  for i, blocks in ipairs(lists) do tokens[i] = defer(blocks) end
  return tokens
end

local function write_pending(doc)
  if #pending == 0 then return nil end
  local pieces = write_many(pending)
  local function expand(text, depth)
    if depth > 50 then error("Typst markup nested too deeply") end
    return (text:gsub(PIECE, function(n) return expand(pieces[tonumber(n)], depth + 1) end))
  end
  return doc:walk({
    RawBlock = function(raw)
      if raw.format == "typst" and raw.text:find("\u{1F}piece", 1, true) then
        raw.text = expand(raw.text, 0)
        return raw
      end
    end,
  })
end

-- "80%" / "12cm" / "300px" / "300" -> typst length (or nil)
local function typst_length(v)
  if not v then return nil end
  local num, unit = v:match("^%s*([%d%.]+)%s*(%a*%%?)%s*$")
  if not num then return nil end
  if unit == "%" or unit == "cm" or unit == "mm" or unit == "in" or unit == "pt" or unit == "em" then
    return num .. unit
  end
  if unit == "px" or unit == "" then
    return string.format("%gpt", tonumber(num) * 0.75)
  end
  return nil
end

local function strip_prefix(s)
  for _, p in ipairs({ "+", "-", "\u{2212}", "\u{2013}" }) do
    if s:sub(1, #p) == p then return s:sub(#p + 1) end
  end
  return s
end

-- A number, optionally followed by one of the reports' comparison symbols
-- (12,3 ▼ in the side-by-side tables).
local SYMBOLS = { "\u{25bc}", "\u{25b2}", "\u{25cf}" }

local function is_number(s)
  s = strip_prefix(s:gsub("\u{a0}", " "))
  for _, sym in ipairs(SYMBOLS) do
    if #s > #sym and s:sub(-#sym) == sym then
      s = s:sub(1, -#sym - 1):gsub("%s+$", "")
      break
    end
  end
  return s:match("^%d[%d%.,]*%s*%%?$") ~= nil
end

local function is_blank(s)
  return s == "" or s == "-" or s == "\u{2013}" or s == "\u{2014}" or s == "."
end

-- Pass 1: language and numbering, in document order ------------------------
local function number_pass(doc)
  local lang = stringify(doc.meta.lang or "nl"):sub(1, 2)
  labels = LABELS[lang] or LABELS.nl
  local counts = { fig = 0, tbl = 0 }
  doc:walk({
    Figure = function(f)
      if f.identifier:match("^fig%-") then
        counts.fig = counts.fig + 1
        numbers[f.identifier] = { kind = "fig", n = counts.fig }
      end
    end,
    Table = function(t)
      if t.identifier:match("^tbl%-") then
        counts.tbl = counts.tbl + 1
        numbers[t.identifier] = { kind = "tbl", n = counts.tbl }
      end
    end,
  })
  return nil
end

-- Pass 2: elements -----------------------------------------------------------
local function Image(img)
  local src = img.src
  if src:match("^https?:") or src:match("^//") then
    error("remote image not supported (reports must work offline): " .. src)
  end
  if not src:match("^data:") then
    local f = io.open(src, "rb")
    if not f then
      error("missing figure file: " .. src .. " (image paths are relative to the main document)")
    end
    f:close()
  end
  local alt = img.attributes["fig-alt"]
  if alt then
    img.attributes["fig-alt"] = nil
    img.attributes["alt"] = alt
  end
  return img
end

local function caption_label(id)
  local info = numbers[id]
  if not info then return nil end
  return labels[info.kind] .. "\u{a0}" .. info.n
end

local function Figure(fig)
  -- only the simple one-image figure; anything else is left to pandoc
  local img
  local count = 0
  fig.content:walk({ Image = function(i) img = i; count = count + 1 end })
  if count ~= 1 then return nil end
  local caption = pandoc.utils.blocks_to_inlines(fig.caption.long)
  local label = caption_label(fig.identifier)

  if not is_typst then
    if label and #caption > 0 then
      local new = pandoc.Inlines({ pandoc.Span({ pandoc.Str(label .. ":") }, { class = "caption-label" }), pandoc.Space() })
      new:extend(caption)
      fig.caption.long = { pandoc.Plain(new) }
    end
    return fig
  end

  local args = { typst_string(img.src) }
  local w = typst_length(img.attributes.width)
  local h = typst_length(img.attributes.height)
  if w then table.insert(args, "width: " .. w) end
  if h then table.insert(args, "height: " .. h) end
  local alt = img.attributes.alt or stringify(img.caption)
  if alt ~= "" then table.insert(args, "alt: " .. typst_string(alt)) end
  local parts = { "#figure(image(" .. table.concat(args, ", ") .. ")" }
  if #caption > 0 then
    table.insert(parts, ", caption: [" .. typst_markup(caption) .. "]")
  end
  if not label then
    table.insert(parts, ", numbering: none")
  end
  local code = table.concat(parts) .. ")"
  if label then code = code .. " <" .. fig.identifier .. ">" end
  return pandoc.RawBlock("typst", code)
end

local ALIGN = { AlignLeft = "left", AlignRight = "right", AlignCenter = "center", AlignDefault = "left" }

-- A table's rows, read from pandoc once: each access to tbl.bodies, row.cells or
-- cell.contents converts that part of the table to Lua objects again, and reading
-- the cells once per column and pass cost about 0.08 s per report (issue 7).
-- rows.head / rows.body: lists of rows; a row is a list of
-- { contents = Blocks, text = stringified contents, plain = no row or column span }.
local function table_rows(tbl)
  local function read(rows, into)
    for _, row in ipairs(rows) do
      local cells = {}
      for _, cell in ipairs(row.cells) do
        local contents = cell.contents
        table.insert(cells, {
          contents = contents,
          text = stringify(contents),
          -- spans only matter for Typst's own table markup (and cost time to read)
          plain = not is_typst or (cell.row_span == 1 and cell.col_span == 1),
        })
      end
      table.insert(into, cells)
    end
  end
  local out = { head = {}, body = {}, plain_bodies = true, footless = #tbl.foot.rows == 0 }
  read(tbl.head.rows, out.head)
  for _, body in ipairs(tbl.bodies) do
    if #body.head > 0 or body.row_head_columns > 0 then out.plain_bodies = false end
    read(body.body, out.body)
  end
  return out
end

-- only one header block, no footer, no spans, no row heads: a plain pipe table
local function simple_grid(rows, ncol)
  if not rows.footless or not rows.plain_bodies then return false end
  local function ok_rows(list)
    for _, row in ipairs(list) do
      if #row ~= ncol then return false end
      for _, cell in ipairs(row) do
        if not cell.plain then return false end
      end
    end
    return true
  end
  return ok_rows(rows.head) and ok_rows(rows.body)
end

local function ulen(s)
  return utf8.len(s) or #s
end

-- Width of a number column in em: what its longest value needs, and what the
-- longest word of its header needs (a long header wraps instead of widening the
-- column); both with the cell inset.
local function number_column_widths(rows, c)
  local chars, word = 0, 0
  for _, row in ipairs(rows.body) do
    chars = math.max(chars, ulen(row[c].text))
  end
  for _, row in ipairs(rows.head) do
    for w in row[c].text:gmatch("%S+") do
      word = math.max(word, ulen(w))
    end
  end
  local values = chars * 0.62 + 1.8
  return values, math.max(values, word * 0.7 + 1.8)
end

-- Em the number columns of a table with a text column may take together; the text
-- width is about 47 em, so a text column keeps at least about 9 em.
local NUMBER_BUDGET = 38

-- Typst: number columns are as wide as their numbers and header words, text columns
-- share the rest (1fr), so tables span the text width. When the header words do not
-- fit the budget, number columns get what their values need plus a share of what is
-- left, in proportion to what their header words ask for (the headers then
-- hyphenate), so the text column (area names) is not squeezed; when the values alone
-- do not fit, or there is no text column, all columns become auto.
local function typst_table(tbl, rows, numeric, label)
  local cols, aligns = {}, {}
  local need, want = {}, {}
  local sum_need, sum_want, any_text = 0, 0, false
  for c, spec in ipairs(tbl.colspecs) do
    aligns[c] = ALIGN[spec[1]] or "left"
    if numeric[c] then
      need[c], want[c] = number_column_widths(rows, c)
      sum_need, sum_want = sum_need + need[c], sum_want + want[c]
    else
      any_text = true
      cols[c] = "1fr"
    end
  end
  if not any_text or sum_need > NUMBER_BUDGET then
    for c = 1, #tbl.colspecs do cols[c] = "auto" end
  else
    -- Below the budget each column gets what it wants; above it, the room beyond
    -- the values is shared in proportion to what each header word asks for.
    local scale = 1
    if sum_want > NUMBER_BUDGET then
      scale = (NUMBER_BUDGET - sum_need) / (sum_want - sum_need)
    end
    for c in pairs(need) do
      cols[c] = string.format("%.1fem", need[c] + (want[c] - need[c]) * scale)
    end
  end
  local contents = {}
  for _, list in ipairs({ rows.head, rows.body }) do
    for _, row in ipairs(list) do
      for _, cell in ipairs(row) do table.insert(contents, cell.contents) end
    end
  end
  local markup, next_cell = typst_blocks_many(contents), 0
  local function cells(row)
    local out = {}
    for _ in ipairs(row) do
      next_cell = next_cell + 1
      table.insert(out, "[" .. markup[next_cell] .. "]")
    end
    return table.concat(out, ", ")
  end
  local lines = {
    "#figure(",
    "  table(",
    "    columns: (" .. table.concat(cols, ", ") .. ",),",
    "    align: (x, y) => (" .. table.concat(aligns, ", ")
      .. ",).at(x) + if y < " .. #rows.head .. " { bottom } else { top },",
  }
  if #rows.head > 0 then
    local head = {}
    for _, row in ipairs(rows.head) do table.insert(head, cells(row)) end
    table.insert(lines, "    table.header(" .. table.concat(head, ", ") .. "),")
    table.insert(lines, "    table.hline(),")
  end
  for _, row in ipairs(rows.body) do
    table.insert(lines, "    " .. cells(row) .. ",")
  end
  table.insert(lines, "    table.hline(),")
  table.insert(lines, "  ),")
  table.insert(lines, "  kind: table,")
  local caption = pandoc.utils.blocks_to_inlines(tbl.caption.long)
  if #caption > 0 then
    table.insert(lines, "  caption: [" .. typst_markup(caption) .. "],")
  end
  if not label then table.insert(lines, "  numbering: none,") end
  local code = table.concat(lines, "\n") .. "\n)"
  if label then code = code .. " <" .. tbl.identifier .. ">" end
  return pandoc.RawBlock("typst", code)
end

local function Table(tbl)
  -- right-align numeric columns that have no explicit alignment
  local rows = table_rows(tbl)
  local numeric = {}
  for c, spec in ipairs(tbl.colspecs) do
    local all_numbers, seen = true, 0
    for _, row in ipairs(rows.body) do
      local cell = row[c]
      if cell then
        local s = cell.text
        if not is_blank(s) then
          if is_number(s) then seen = seen + 1 else all_numbers = false end
        end
      end
    end
    numeric[c] = all_numbers and seen > 0
    if numeric[c] and spec[1] == "AlignDefault" then
      tbl.colspecs[c] = { pandoc.AlignRight, spec[2] }
    end
  end
  local label = caption_label(tbl.identifier)

  if is_typst then
    if simple_grid(rows, #tbl.colspecs) then
      return typst_table(tbl, rows, numeric, label)
    end
    for c, spec in ipairs(tbl.colspecs) do
      if spec[1] == "AlignDefault" then
        -- pandoc wraps Typst tables in align(center): make text columns explicit
        tbl.colspecs[c] = { pandoc.AlignLeft, spec[2] }
      end
    end
    if label then return tbl end
    -- unlabelled tables are not numbered (as in Quarto)
    return {
      pandoc.RawBlock("typst", "#[#set figure(numbering: none)"),
      tbl,
      pandoc.RawBlock("typst", "]"),
    }
  end

  -- let the browser size the columns
  for c, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[c] = { spec[1], nil }
  end
  local long = tbl.caption.long
  if label and #long > 0 then
    local inl = pandoc.utils.blocks_to_inlines(long)
    local new = pandoc.Inlines({ pandoc.Span({ pandoc.Str(label .. ":") }, { class = "caption-label" }), pandoc.Space() })
    new:extend(inl)
    tbl.caption.long = { pandoc.Plain(new) }
  end
  return tbl
end

local function Cite(cite)
  local out = pandoc.Inlines({})
  local handled = false
  for i, c in ipairs(cite.citations) do
    local kind = c.id:match("^(%a+)%-")
    if kind == "fig" or kind == "tbl" then
      handled = true
      local label = caption_label(c.id)
      if not label then
        error("unknown cross-reference @" .. c.id .. " (no figure or table with id #" .. c.id .. ")")
      end
      if i > 1 then out:extend({ pandoc.Str(","), pandoc.Space() }) end
      if is_typst then
        out:insert(pandoc.RawInline("typst", "@" .. c.id))
      else
        out:insert(pandoc.Link({ pandoc.Str(label) }, "#" .. c.id, "", { class = "quarto-xref" }))
      end
    end
  end
  if handled then return out end
  -- not a cross-reference: keep the text as written (there is no bibliography)
  return cite.content
end

local function Div(div)
  local kind
  for _, cls in ipairs(div.classes) do
    kind = kind or cls:match("^callout%-(%a+)$")
  end
  if not kind then return nil end
  local content = div.content
  local title
  if div.attributes.title then
    title = pandoc.Inlines({ pandoc.Str(div.attributes.title) })
  elseif #content > 0 and content[1].t == "Header" then
    title = content[1].content
    local rest = pandoc.Blocks({})
    for i = 2, #content do rest:insert(content[i]) end
    content = rest
  else
    title = pandoc.Inlines({ pandoc.Str(labels[kind] or labels.note) })
  end

  if is_typst then
    return pandoc.RawBlock("typst",
      "#callout(kind: " .. typst_string(kind) .. ", title: [" .. typst_markup(title) .. "])[\n"
      .. typst_blocks(content) .. "\n]")
  end
  local role = (kind == "warning" or kind == "important" or kind == "caution") and "alert" or "note"
  return pandoc.Div({
    pandoc.Div({ pandoc.Plain(title) }, { class = "callout-title" }),
    pandoc.Div(content, { class = "callout-body" }),
  }, { class = "callout callout-" .. kind, role = role })
end

return {
  { Pandoc = number_pass },
  { Image = Image, Cite = Cite },
  { Figure = Figure, Table = Table, Div = Div },
  { Pandoc = function(doc) if is_typst then return write_pending(doc) end end },
}
