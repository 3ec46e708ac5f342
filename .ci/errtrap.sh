# Sourced by .ci/run and the .ci scripts it starts: a command that fails a
# script prints where and what, on stdout (CI reports may show stdout only).
set -o errtrace
trap 'echo "CI: $0:$LINENO: \`$BASH_COMMAND\` exited $?"' ERR
