# Sourced by the image and pack checks: `expect WHAT COMMAND...` runs the command, prints
# `ok - WHAT` or `not ok - WHAT`, and counts it in $passed or $failed.
passed=0
failed=0

expect() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok - $what"
  else
    failed=$((failed + 1))
    echo "not ok - $what"
  fi
}
