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
    (the dashes of pipe tables are ignored); in Typst, number columns fit their
    content, within a budget that leaves the text columns room, and text
    columns share the free width by their text (DejaVu Sans widths), as a
    browser lays out the HTML's table.
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

-- Texts set in bold in the document (Typst only). A table cell whose whole text is
-- one of them (a total row) is measured in bold; a cell that only reads like one is
-- measured a little wider, which is harmless. Collected in a pass of its own: reading
-- each cell's inlines in the Table function cost about 50 µs per cell.
local BOLD_TEXTS = {}
local function Strong(el)
  BOLD_TEXTS[stringify(el)] = true
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
        local text = stringify(contents)
        table.insert(cells, {
          contents = contents,
          text = text,
          -- all bold (a total row): typst sets it wider
          bold = BOLD_TEXTS[text] or false,
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

-- BEGIN DejaVu Sans advance widths (python -m indicators.render.fontwidths)
local REGULAR_ADVANCE = {
  [32]=318, [33]=401, [34]=460, [35]=838, [36]=636, [37]=950, [38]=780, [39]=275, [40]=390, [41]=390,
  [42]=500, [43]=838, [44]=318, [45]=361, [46]=318, [47]=337, [48]=636, [49]=636, [50]=636, [51]=636,
  [52]=636, [53]=636, [54]=636, [55]=636, [56]=636, [57]=636, [58]=337, [59]=337, [60]=838, [61]=838,
  [62]=838, [63]=531, [64]=1000, [65]=684, [66]=686, [67]=698, [68]=770, [69]=632, [70]=575, [71]=775,
  [72]=752, [73]=295, [74]=295, [75]=656, [76]=557, [77]=863, [78]=748, [79]=787, [80]=603, [81]=787,
  [82]=695, [83]=635, [84]=611, [85]=732, [86]=684, [87]=989, [88]=685, [89]=611, [90]=685, [91]=390,
  [92]=337, [93]=390, [94]=838, [95]=500, [96]=500, [97]=613, [98]=635, [99]=550, [100]=635, [101]=615,
  [102]=352, [103]=635, [104]=634, [105]=278, [106]=278, [107]=579, [108]=278, [109]=974, [110]=634, [111]=612,
  [112]=635, [113]=635, [114]=411, [115]=521, [116]=392, [117]=634, [118]=592, [119]=818, [120]=592, [121]=592,
  [122]=525, [123]=636, [124]=337, [125]=636, [126]=838, [160]=318, [161]=401, [162]=636, [163]=636, [164]=636,
  [165]=636, [166]=337, [167]=500, [168]=500, [169]=1000, [170]=471, [171]=612, [172]=838, [173]=361, [174]=1000,
  [175]=500, [176]=500, [177]=838, [178]=401, [179]=401, [180]=500, [181]=636, [182]=636, [183]=318, [184]=500,
  [185]=401, [186]=471, [187]=612, [188]=969, [189]=969, [190]=969, [191]=531, [192]=684, [193]=684, [194]=684,
  [195]=684, [196]=684, [197]=684, [198]=974, [199]=698, [200]=632, [201]=632, [202]=632, [203]=632, [204]=295,
  [205]=295, [206]=295, [207]=295, [208]=775, [209]=748, [210]=787, [211]=787, [212]=787, [213]=787, [214]=787,
  [215]=838, [216]=787, [217]=732, [218]=732, [219]=732, [220]=732, [221]=611, [222]=605, [223]=630, [224]=613,
  [225]=613, [226]=613, [227]=613, [228]=613, [229]=613, [230]=982, [231]=550, [232]=615, [233]=615, [234]=615,
  [235]=615, [236]=278, [237]=278, [238]=278, [239]=278, [240]=612, [241]=634, [242]=612, [243]=612, [244]=612,
  [245]=612, [246]=612, [247]=838, [248]=612, [249]=634, [250]=634, [251]=634, [252]=634, [253]=592, [254]=635,
  [255]=592, [8364]=636, [8211]=500, [8212]=1000, [8216]=318, [8217]=318, [8220]=518, [8221]=518, [8230]=1000, [8722]=838,
  [8593]=838, [8595]=838, [9650]=769, [9660]=769, [9679]=873, [9675]=873, [8804]=838, [8805]=838,
}
local BOLD_ADVANCE = {
  [32]=348, [33]=456, [34]=521, [35]=838, [36]=696, [37]=1002, [38]=872, [39]=306, [40]=457, [41]=457,
  [42]=523, [43]=838, [44]=380, [45]=415, [46]=380, [47]=365, [48]=696, [49]=696, [50]=696, [51]=696,
  [52]=696, [53]=696, [54]=696, [55]=696, [56]=696, [57]=696, [58]=400, [59]=400, [60]=838, [61]=838,
  [62]=838, [63]=580, [64]=1000, [65]=774, [66]=762, [67]=734, [68]=830, [69]=683, [70]=683, [71]=821,
  [72]=837, [73]=372, [74]=372, [75]=775, [76]=637, [77]=995, [78]=837, [79]=850, [80]=733, [81]=850,
  [82]=770, [83]=720, [84]=682, [85]=812, [86]=774, [87]=1103, [88]=771, [89]=724, [90]=725, [91]=457,
  [92]=365, [93]=457, [94]=838, [95]=500, [96]=500, [97]=675, [98]=716, [99]=593, [100]=716, [101]=678,
  [102]=435, [103]=716, [104]=712, [105]=343, [106]=343, [107]=665, [108]=343, [109]=1042, [110]=712, [111]=687,
  [112]=716, [113]=716, [114]=493, [115]=595, [116]=478, [117]=712, [118]=652, [119]=924, [120]=645, [121]=652,
  [122]=582, [123]=712, [124]=365, [125]=712, [126]=838, [160]=348, [161]=456, [162]=696, [163]=696, [164]=636,
  [165]=696, [166]=365, [167]=500, [168]=500, [169]=1000, [170]=564, [171]=646, [172]=838, [173]=415, [174]=1000,
  [175]=500, [176]=500, [177]=838, [178]=438, [179]=438, [180]=500, [181]=736, [182]=636, [183]=380, [184]=500,
  [185]=438, [186]=564, [187]=646, [188]=1035, [189]=1035, [190]=1035, [191]=580, [192]=774, [193]=774, [194]=774,
  [195]=774, [196]=774, [197]=774, [198]=1085, [199]=734, [200]=683, [201]=683, [202]=683, [203]=683, [204]=372,
  [205]=372, [206]=372, [207]=372, [208]=838, [209]=837, [210]=850, [211]=850, [212]=850, [213]=850, [214]=850,
  [215]=838, [216]=850, [217]=812, [218]=812, [219]=812, [220]=812, [221]=724, [222]=738, [223]=719, [224]=675,
  [225]=675, [226]=675, [227]=675, [228]=675, [229]=675, [230]=1048, [231]=593, [232]=678, [233]=678, [234]=678,
  [235]=678, [236]=343, [237]=343, [238]=343, [239]=343, [240]=687, [241]=712, [242]=687, [243]=687, [244]=687,
  [245]=687, [246]=687, [247]=838, [248]=687, [249]=712, [250]=712, [251]=712, [252]=712, [253]=652, [254]=716,
  [255]=652, [8364]=696, [8211]=500, [8212]=1000, [8216]=380, [8217]=380, [8220]=657, [8221]=657, [8230]=1000, [8722]=838,
  [8593]=838, [8595]=838, [9650]=769, [9660]=769, [9679]=873, [9675]=873, [8804]=838, [8805]=838,
}
-- END DejaVu Sans advance widths

-- Width of text, and of its longest word (between spaces), in em of DejaVu Sans, the
-- PDF's font (no kerning; a character without an entry counts as 0.6 em).
local function text_em(text, advance)
  local width, word, longest = 0, 0, 0
  for _, code in utf8.codes(text) do
    local a = advance[code] or 600
    width = width + a
    if code == 32 then
      word = 0
    else
      word = word + a
      if word > longest then longest = word end
    end
  end
  return width / 1000, longest / 1000
end

-- Typst tables are 465 pt wide (A4, 2.3 cm margins): 58 em of their 8 pt text; each
-- cell has 7 pt inset on either side.
local TEXT_EM, CELL_INSET = 58, 1.75
-- Room for what the widths leave out (kerning aside, typst's own rounding): a word
-- sized to fit its column exactly must not hyphenate.
local SLACK = 0.3

-- Width of a number column in em: what its longest value needs, and what the
-- longest word of its (bold) header needs (a long header wraps instead of widening
-- the column); both with the cell inset.
local function number_column_widths(rows, c)
  local values, word = 0, 0
  for _, row in ipairs(rows.body) do
    local cell = row[c]
    values = math.max(values, text_em(cell.text, cell.bold and BOLD_ADVANCE or REGULAR_ADVANCE))
  end
  for _, row in ipairs(rows.head) do
    word = math.max(word, select(2, text_em(row[c].text, BOLD_ADVANCE)))
  end
  values = values + CELL_INSET + SLACK
  return values, math.max(values, word + CELL_INSET + SLACK)
end

-- Em the number columns of a table with a text column may take together at least; of
-- the TEXT_EM (58) the text columns keep at most 20. They may take more when the text
-- columns' longest cells leave more (see typst_table).
local NUMBER_BUDGET = 38

-- A word longer than this (a Dutch compound) hyphenates rather than widen its column.
local WORD_CAP = 7

-- What a text column needs: its longest word (at most WORD_CAP) and its longest cell
-- on one line, in em with the inset; header cells are bold, and body cells in bold.
local function text_column_extent(rows, c)
  local least, most = 0, 0
  for _, list in ipairs({ rows.head, rows.body }) do
    for _, row in ipairs(list) do
      local cell = row[c]
      local bold = list == rows.head or cell.bold
      local all, word = text_em(cell.text, bold and BOLD_ADVANCE or REGULAR_ADVANCE)
      most, least = math.max(most, all), math.max(least, word)
    end
  end
  return math.min(least, WORD_CAP) + CELL_INSET + SLACK, most + CELL_INSET + SLACK
end

-- Shares of the room the number columns leave, for two or more text columns. First,
-- as typst sizes automatic columns, a column whose longest cell fits in an equal share
-- of the room gets that cell's width (repeated with the room that is left). The other
-- columns share the rest as browsers lay out an automatic table (CSS 2.1, section
-- 17.5.2.2, "Automatic table layout"), so the PDF's columns are close to the HTML's:
-- each gets its longest word, and what is left goes to them in proportion to how much
-- more their longest cell would need. Equal shares set a long definition in a column
-- as narrow as one holding "Wilson", and hyphenated "procentpunt" beside a name that
-- had room to spare. Returns fr weights, so the table spans the text width whatever
-- the estimate's error.
local function text_column_shares(least, most, text_cols, room)
  local width, open = {}, {}
  for _, c in ipairs(text_cols) do open[c] = true end
  -- (A column that fits stays fitting as others settle: the result is the same in
  -- any order; columns are visited in order so the sums are too.)
  local n, settled = #text_cols, true
  while settled do
    settled = false
    for _, c in ipairs(text_cols) do
      if open[c] and most[c] <= room / n then
        width[c], open[c], room, n, settled = most[c], nil, room - most[c], n - 1, true
      end
    end
  end
  local sum_least, sum_most = 0, 0
  for _, c in ipairs(text_cols) do
    if open[c] then sum_least, sum_most = sum_least + least[c], sum_most + most[c] end
  end
  -- (No open column when the cells fit: then the smallest always fits its share.)
  local extra = math.max(room - sum_least, 0) / math.max(sum_most - sum_least, 1e-9)
  for _, c in ipairs(text_cols) do
    if open[c] then width[c] = least[c] + (most[c] - least[c]) * math.min(extra, 1) end
  end
  local shares = {}
  for _, c in ipairs(text_cols) do
    shares[c] = string.format("%.1ffr", width[c])
  end
  return shares
end

-- Typst: number columns are as wide as their numbers and header words, text columns
-- share the rest (1fr, or in proportion to their text when there are several: see
-- text_column_shares), so tables span the text width. The number columns' budget is
-- what the text columns' longest cells leave, and at least NUMBER_BUDGET. When the
-- header words do not fit it, number columns get what their values need plus a share
-- of what is left, in proportion to what their header words ask for (the headers then
-- hyphenate), so the text column (area names) is not squeezed; when the values alone
-- do not fit, or there is no text column, all columns become auto.
local function typst_table(tbl, rows, numeric, label)
  local cols, aligns = {}, {}
  local need, want, least, most = {}, {}, {}, {}
  local sum_need, sum_want, sum_most, text_cols = 0, 0, 0, {}
  for c, spec in ipairs(tbl.colspecs) do
    aligns[c] = ALIGN[spec[1]] or "left"
    if numeric[c] then
      need[c], want[c] = number_column_widths(rows, c)
      sum_need, sum_want = sum_need + need[c], sum_want + want[c]
    else
      table.insert(text_cols, c)
      cols[c] = "1fr"
      least[c], most[c] = text_column_extent(rows, c)
      sum_most = sum_most + most[c]
    end
  end
  local budget = math.max(NUMBER_BUDGET, TEXT_EM - sum_most)
  if #text_cols == 0 or sum_need > budget then
    for c = 1, #tbl.colspecs do cols[c] = "auto" end
  else
    -- Below the budget each column gets what it wants; above it, the room beyond
    -- the values is shared in proportion to what each header word asks for.
    local scale, numbers = 1, 0
    if sum_want > budget then
      scale = (budget - sum_need) / (sum_want - sum_need)
    end
    for c = 1, #tbl.colspecs do
      if need[c] then
        local width = need[c] + (want[c] - need[c]) * scale
        cols[c] = string.format("%.1fem", width)
        numbers = numbers + width
      end
    end
    if #text_cols > 1 then
      for c, share in pairs(text_column_shares(least, most, text_cols, TEXT_EM - numbers)) do
        cols[c] = share
      end
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
  { Image = Image, Cite = Cite, Strong = is_typst and Strong or nil },
  { Figure = Figure, Table = Table, Div = Div },
  { Pandoc = function(doc) if is_typst then return write_pending(doc) end end },
}
