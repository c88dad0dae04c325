#!/bin/sh
# cppcheck.sh - static check of lib/ ports/ demos/ with zero findings allowed.
# C-style casts are the house style (the headers are C-compatible), so that
# one check is off; everything else of warning/style/performance/portability
# is on. The kqueue port is checked against the test emulation's header.
set -e
command -v cppcheck > /dev/null || { echo "cppcheck missing: run make deps"; exit 1; }
common="--quiet --error-exitcode=1 --enable=warning,style,performance,portability --std=c++17
        --inline-suppr --suppress=missingIncludeSystem --suppress=cstyleCast -Ilib -Iports"
cppcheck $common -D__linux__ lib ports demos
cppcheck $common -DNM_HAVE_KQUEUE -Itest/kqemu ports/kqueue.cpp
echo "cppcheck: no findings"
