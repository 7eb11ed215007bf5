# Flattens the YAML subset a #cloud-config uses into one "path<TAB>value" line per scalar, e.g.
#   users.0.name	admin
#   users.0.ssh_authorized_keys.0	ssh-ed25519 AAAA... admin@example
# so /init can read it with plain awk/grep instead of a YAML library the guest does not have.
# Understood (everything the CimiGrains QEMU driver writes, and the usual hand-written forms):
#   - block mappings and sequences by indentation, including a sequence at its parent key's indent;
#   - "- key: value" items that open a mapping inside a sequence;
#   - flow collections ([a, b], {k: v}) and so JSON (a cloud-config may be a JSON document), also
#     spanning several lines;
#   - scalars plain, 'single' ('' escapes a quote) or "double" quoted (\" \\ \/ \n \t \r \uXXXX for
#     ASCII), trailing " # comments", "|" and ">" block scalars (kept or folded lines).
# Not understood (the line is skipped): anchors/aliases, tags, multi-document streams, complex keys.
# Values go out with "\" doubled and newlines as "\n", so the reader can printf '%b' them back.
# Busybox awk: no gensub, no intervals in regexes; locals are extra function parameters.

function emit(path, value) {
  gsub(/\\/, "\\\\", value)
  gsub(/\n/, "\\n", value)
  gsub(/\t/, " ", value)
  print path "\t" value
}

function join(prefix, key) { return prefix == "" ? key : prefix "." key }

function indent_of(line,   n) {
  n = match(line, /[^ ]/)
  return n == 0 ? length(line) : n - 1
}

# Removes a " # comment" that is outside quotes; "#" inside a plain scalar without a space before
# it stays (cloud-init keys like "ssh-rsa AAA#" are rare, URLs with "#" are not).
function strip_comment(s,   i, c, q, out) {
  q = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (q != "") {
      if (q == "\"" && c == "\\") { i++; continue }
      if (c == q) q = ""
      continue
    }
    if (c == "\"" || c == "'") { q = c; continue }
    if (c == "#" && (i == 1 || substr(s, i - 1, 1) == " " || substr(s, i - 1, 1) == "\t")) {
      return substr(s, 1, i - 1)
    }
  }
  return s
}

function trim(s) {
  sub(/^[ \t]+/, "", s)
  sub(/[ \t\r]+$/, "", s)
  return s
}

function hexval(h,   i, v, c) {
  v = 0
  h = tolower(h)
  for (i = 1; i <= length(h); i++) {
    c = index("0123456789abcdef", substr(h, i, 1))
    if (c == 0) return -1
    v = v * 16 + c - 1
  }
  return v
}

# Decodes a double-quoted scalar's body (without the quotes).
function unescape_double(s,   out, i, c, n, v) {
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c != "\\") { out = out c; continue }
    i++
    c = substr(s, i, 1)
    if (c == "n") out = out "\n"
    else if (c == "t") out = out "\t"
    else if (c == "r") out = out ""
    else if (c == "u" || c == "x") {
      n = (c == "u") ? 4 : 2
      v = hexval(substr(s, i + 1, n))
      # Only ASCII can be rebuilt portably; anything else becomes "?" rather than garbage.
      if (v >= 32 && v < 127) out = out sprintf("%c", v); else out = out "?"
      i += n
    }
    else out = out c
  }
  return out
}

# A whole scalar as written after "key:" or "-": quoted or plain.
function scalar(s,   q, body) {
  s = trim(s)
  q = substr(s, 1, 1)
  if (q == "\"" && length(s) >= 2 && substr(s, length(s), 1) == "\"") {
    return unescape_double(substr(s, 2, length(s) - 2))
  }
  if (q == "'" && length(s) >= 2 && substr(s, length(s), 1) == "'") {
    body = substr(s, 2, length(s) - 2)
    gsub(/''/, "'", body)
    return body
  }
  return s
}

# ---- flow collections: a recursive-descent parser over the string F at position P ----
function fskip() { while (P <= length(F) && index(" \t\r\n", substr(F, P, 1)) > 0) P++ }

function fscalar(in_key,   c, start, q, out, d) {
  fskip()
  c = substr(F, P, 1)
  if (c == "\"" || c == "'") {
    q = c; P++; start = P; out = ""
    while (P <= length(F)) {
      d = substr(F, P, 1)
      if (q == "\"" && d == "\\") { P += 2; continue }
      if (d == q) {
        if (q == "'" && substr(F, P + 1, 1) == "'") { P += 2; continue }
        break
      }
      P++
    }
    out = substr(F, start, P - start)
    P++
    if (q == "\"") return unescape_double(out)
    gsub(/''/, "'", out)
    return out
  }
  start = P
  while (P <= length(F)) {
    d = substr(F, P, 1)
    if (d == "," || d == "]" || d == "}" || d == "[" || d == "{") break
    if (d == ":" && (P == length(F) || index(" \t\r\n,]}", substr(F, P + 1, 1)) > 0)) break
    P++
  }
  return trim(substr(F, start, P - start))
}

function fvalue(path,   c, i, key) {
  fskip()
  c = substr(F, P, 1)
  if (c == "[") {
    P++; i = 0
    for (;;) {
      fskip()
      if (P > length(F)) return
      if (substr(F, P, 1) == "]") { P++; return }
      fvalue(join(path, i)); i++
      fskip()
      if (substr(F, P, 1) == ",") P++
      else if (substr(F, P, 1) != "]") return
    }
  }
  if (c == "{") {
    P++
    for (;;) {
      fskip()
      if (P > length(F)) return
      if (substr(F, P, 1) == "}") { P++; return }
      key = fscalar(1)
      fskip()
      if (substr(F, P, 1) == ":") { P++; fvalue(join(path, key)) } else emit(join(path, key), "")
      fskip()
      if (substr(F, P, 1) == ",") P++
      else if (substr(F, P, 1) != "}") return
    }
  }
  emit(path, fscalar(0))
}

function parse_flow(path, text) { F = text; P = 1; fvalue(path) }

# Whether brackets in s balance outside quotes (a flow value may continue on the next lines).
function flow_open(s,   i, c, q, depth) {
  depth = 0; q = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (q != "") {
      if (q == "\"" && c == "\\") { i++; continue }
      if (c == q) q = ""
      continue
    }
    if (c == "\"" || c == "'") q = c
    else if (c == "[" || c == "{") depth++
    else if (c == "]" || c == "}") depth--
  }
  return depth > 0
}

# ---- block structure ----
# Levels: LIND[d] indent of the level's entries, LPATH[d] its path, LKIND[d] "map" or "seq",
# LCOUNT[d] the next sequence index.
function push(indent, path, kind) {
  D++; LIND[D] = indent; LPATH[D] = path; LKIND[D] = kind; LCOUNT[D] = 0
}

# A value after "key:" or "- ": a scalar, the start of a flow collection or of a block scalar, or
# nothing (the value is the block that follows, or null).
function value_at(path, rest, indent) {
  rest = trim(rest)
  if (rest == "") { PENDING = path; PENDING_IND = indent; return }
  if (rest ~ /^[|>][-+0-9]*$/) {
    BLOCK = path; BLOCK_IND = indent; BLOCK_FOLD = (substr(rest, 1, 1) == ">")
    BLOCK_TEXT = ""; BLOCK_STRIP = -1; BLOCK_KEEP = (rest ~ /\+/); BLOCK_CHOMP = (rest ~ /-/)
    return
  }
  if (substr(rest, 1, 1) == "[" || substr(rest, 1, 1) == "{") {
    if (flow_open(rest)) { FLOW = path; FLOW_TEXT = rest; return }
    parse_flow(path, rest)
    return
  }
  emit(path, scalar(rest))
}

# Splits "key: value" (key possibly quoted); returns the key, sets KV_REST; "" when not a pair.
function split_pair(s,   q, end, key) {
  q = substr(s, 1, 1)
  if (q == "\"" || q == "'") {
    end = index(substr(s, 2), q)
    if (end == 0) return ""
    key = substr(s, 2, end - 1)
    s = substr(s, end + 2)
    if (substr(s, 1, 1) != ":") return ""
    KV_REST = substr(s, 2)
    return key == "" ? "" : key
  }
  if (match(s, /:([ \t]|$)/) == 0) return ""
  key = trim(substr(s, 1, RSTART - 1))
  KV_REST = substr(s, RSTART + 1)
  return key
}

function finish_block(   text) {
  text = BLOCK_TEXT
  if (!BLOCK_KEEP) sub(/\n+$/, "", text)
  if (!BLOCK_CHOMP && !BLOCK_KEEP && text != "") text = text "\n"
  if (BLOCK_FOLD) gsub(/\n/, " ", text)
  emit(BLOCK, text)
  BLOCK = ""
}

function line_in_block(raw,   n) {
  if (trim(raw) == "") { BLOCK_TEXT = BLOCK_TEXT "\n"; return 1 }
  n = indent_of(raw)
  if (n <= BLOCK_IND) return 0
  if (BLOCK_STRIP < 0) BLOCK_STRIP = n
  BLOCK_TEXT = BLOCK_TEXT substr(raw, BLOCK_STRIP + 1) "\n"
  return 1
}

function handle(raw,   n, text, key, item, col) {
  text = strip_comment(raw)
  if (trim(text) == "") return
  n = indent_of(text)
  text = trim(text)
  if (text == "---" || text == "...") return

  if (PENDING != "") {
    if ((substr(text, 1, 1) == "-" && (length(text) == 1 || substr(text, 2, 1) == " ")) && n >= PENDING_IND) push(n, PENDING, "seq")
    else if (n > PENDING_IND) push(n, PENDING, "map")
    else emit(PENDING, "")
    PENDING = ""
  }
  while (D > 0 && LIND[D] > n) D--
  if (D > 0 && LKIND[D] == "seq" && LIND[D] == n && !(substr(text, 1, 1) == "-" && (length(text) == 1 || substr(text, 2, 1) == " "))) D--

  while (LKIND[D] == "seq") {
    if (!(substr(text, 1, 1) == "-" && (length(text) == 1 || substr(text, 2, 1) == " "))) return
    item = join(LPATH[D], LCOUNT[D]); LCOUNT[D]++
    text = substr(text, 2)
    col = n + 1 + indent_of(text)
    text = trim(text)
    if (text == "") { PENDING = item; PENDING_IND = n; return }
    if (substr(text, 1, 1) == "-" && (length(text) == 1 || substr(text, 2, 1) == " ")) {
      push(col, item, "seq"); n = col; continue
    }
    if (substr(text, 1, 1) != "[" && substr(text, 1, 1) != "{" && split_pair(text) != "") {
      push(col, item, "map"); n = col; break
    }
    value_at(item, text, n)
    return
  }
  key = split_pair(text)
  if (key == "") return
  value_at(join(LPATH[D], key), KV_REST, n)
}

BEGIN { D = 0; LIND[0] = 0; LPATH[0] = ""; LKIND[0] = "map"; PENDING = ""; BLOCK = ""; FLOW = ""; WHOLE = "" }

{
  sub(/\r$/, "")
  if (NR == 1 && $0 ~ /^#cloud-config/) next
  if (WHOLE != "") { WHOLE = WHOLE "\n" $0; next }
  if (BLOCK != "") { if (line_in_block($0)) next; finish_block() }
  if (FLOW != "") {
    FLOW_TEXT = FLOW_TEXT "\n" strip_comment($0)
    if (!flow_open(FLOW_TEXT)) { parse_flow(FLOW, FLOW_TEXT); FLOW = "" }
    next
  }
  # A document that is one flow mapping (JSON) is parsed whole at the end.
  if (D == 0 && PENDING == "" && substr(trim($0), 1, 1) == "{" && indent_of($0) == 0) { WHOLE = $0; next }
  handle($0)
}

END {
  if (BLOCK != "") finish_block()
  if (FLOW != "") parse_flow(FLOW, FLOW_TEXT)
  if (PENDING != "") emit(PENDING, "")
  if (WHOLE != "") parse_flow("", WHOLE)
}
