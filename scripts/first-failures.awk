# Reads a TAP report of `node --test` and prints "name: error" for each failed test, in the order
# they failed; a suite's "N subtests failed" adds nothing to its subtests' own lines.
/^ *not ok [0-9]+ - / { sub(/^ *not ok [0-9]+ - /, ""); name = $0; want = 0; next }
name != "" && want { sub(/^ */, ""); print "  " substr(name, 1, 90) ": " substr($0, 1, 220); name = ""; want = 0; next }
name != "" && /^ *error: / {
  sub(/^ *error: /, "")
  if ($0 ~ /^.[0-9]+ subtests? failed.$/) { name = ""; next }
  if ($0 ~ /^[|>]-?$/) { want = 1; next }
  print "  " substr(name, 1, 90) ": " substr($0, 1, 220); name = ""
}
