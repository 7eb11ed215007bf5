# Splits a MIME multipart user-data document (what cloud-init's "make-mime" and the CimiGrains QEMU
# driver write when both an admin credential and the consumer's userData must reach the guest)
# into its parts: for part N (from 1) it writes OUT/N.type (the lowercased media type without
# parameters, "" when the part has none), OUT/N.encoding (the lowercased Content-Transfer-Encoding,
# "" when absent) and OUT/N.body (the raw body; /init decodes base64). Prints the number of parts.
# Understood: the boundary from the top-level Content-Type (quoted or not, any case), folded
# header lines, CRLF or LF line ends, a preamble and an epilogue (both ignored). A nested multipart
# part is written as one part of type multipart/..., which /init ignores.
# Usage: awk -v OUT=dir -f mime-split.awk user-data

function lower_trim(s) { s = tolower(s); sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# The value of a header in the folded header block H ("name: value" lines joined by "\n").
function header(block, name,   n, lines, i, l) {
  n = split(block, lines, "\n")
  for (i = 1; i <= n; i++) {
    l = lines[i]
    if (tolower(substr(l, 1, length(name) + 1)) == name ":") return substr(l, length(name) + 2)
  }
  return ""
}

function media_type(v) { sub(/;.*/, "", v); return lower_trim(v) }

function boundary_of(v,   low, at, rest, end) {
  low = tolower(v)
  at = index(low, "boundary=")
  if (at == 0) return ""
  rest = substr(v, at + 9)
  if (substr(rest, 1, 1) == "\"") {
    rest = substr(rest, 2)
    end = index(rest, "\"")
    return end == 0 ? rest : substr(rest, 1, end - 1)
  }
  sub(/[; \t].*/, "", rest)
  return rest
}

function add_header_line(line) {
  if (line ~ /^[ \t]/ && HDR != "") { sub(/^[ \t]+/, " ", line); HDR = HDR line }
  else HDR = (HDR == "") ? line : HDR "\n" line
}

function close_part() {
  if (N == 0) return
  if (BODYFILE != "") close(BODYFILE)
}

function start_part() {
  close_part()
  N++
  STATE = "headers"; HDR = ""; FIRST = 1
  BODYFILE = OUT "/" N ".body"
  printf "" > BODYFILE
}

function end_headers(   t, e) {
  t = media_type(header(HDR, "content-type"))
  e = lower_trim(header(HDR, "content-transfer-encoding"))
  print t > (OUT "/" N ".type"); close(OUT "/" N ".type")
  print e > (OUT "/" N ".encoding"); close(OUT "/" N ".encoding")
  STATE = "body"
}

BEGIN { STATE = "top"; HDR = ""; N = 0; B = "" }

{
  sub(/\r$/, "")
  if (STATE == "top") {
    if ($0 != "") { add_header_line($0); next }
    B = boundary_of(header(HDR, "content-type"))
    if (B == "") exit 1
    STATE = "preamble"
    next
  }
  if ($0 == "--" B "--") { close_part(); STATE = "epilogue"; next }
  if ($0 == "--" B) { start_part(); next }
  if (STATE == "headers") {
    if ($0 == "") end_headers(); else add_header_line($0)
    next
  }
  if (STATE == "body") {
    # The line break before a delimiter belongs to the delimiter, so a body's last newline is
    # written only when another body line follows.
    if (!FIRST) printf "\n" > BODYFILE
    printf "%s", $0 > BODYFILE
    FIRST = 0
  }
}

END {
  if (STATE == "headers") end_headers()
  close_part()
  if (B == "") exit 1
  print N
}
