#!/usr/bin/env python3
"""duplicates.py [--allow FILE] [--list] ROOT DIR... - code written twice.

Reads the C and C++ sources (.c .cpp .h .hpp .def) under each DIR of ROOT
and reports every run of lines that stands again elsewhere (or elsewhere
in the same file), as "a:10-17 ~ b:40-47 KEY (identical|shape)":

- The lines are normalised first: comments, blank lines, lines of
  punctuation alone and #include lines are passed over, white space is
  folded.
- identical: IDENTICAL_LINES or more normalised lines the same, in order.
- shape: SHAPE_LINES or more lines the same but for names, numbers and
  strings (each name a, number 0, string s), of which at least SHAPE_RICH
  carry SHAPE_TOKENS tokens or more and that have SHAPE_KINDS shapes or
  more between them (a run of braces, returns and short calls is every
  file's shape, and a list of fields set is a list, not a copy).
- A run that stands in more than COMMON places is the language's, not a
  copy, and is not reported.

KEY is a hash of the run's normalised lines (their shape, for a shape
run): an entry of the allow file ("KEY reason", one a line, # comments)
lets that run stand, wherever it moves. Exit 1 when a run is reported
that the allow file does not list, or an entry has no reason; 0 else.
--list: every run, allowed or not, exit 0.
"""
import hashlib
import os
import re
import sys

IDENTICAL_LINES = 6
SHAPE_LINES = 6
SHAPE_RICH = 4
SHAPE_TOKENS = 5
SHAPE_KINDS = 4
COMMON = 8
EXTENSIONS = ('.c', '.cpp', '.h', '.hpp', '.def')

KEYWORDS = set('''
alignas alignof auto bool break case char const constexpr continue default do
double else enum extern false float for goto if inline int long noexcept
nullptr return short signed sizeof static static_assert struct switch true
typedef union unsigned void volatile while uint8_t uint16_t uint32_t
uint64_t int64_t size_t ssize_t
'''.split())

TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_]\w*|\d[\w.]*|\S')


def strip_comments(text):
    """Comments out, strings and line breaks kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append('\n' * text.count('\n', i, j))
            i = j
        elif ch in '"\'':
            j = i + 1
            while j < n and text[j] != ch and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return ''.join(out)


def shape_of(tokens):
    s = []
    for t in tokens:
        if t[0] in '"\'':
            s.append('s')
        elif t[0].isdigit():
            s.append('0')
        elif (t[0].isalpha() or t[0] == '_') and t not in KEYWORDS:
            s.append('a')
        else:
            s.append(t)
    return ' '.join(s)


def read(path):
    """The file's kept lines: (line number, normalised text, shape, tokens)."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = strip_comments(f.read())
    lines = []
    for nr, raw in enumerate(text.split('\n'), 1):
        line = ' '.join(raw.split())
        if not line or line.startswith('#include') or not re.search(r'\w', line):
            continue
        tokens = TOKEN.findall(line)
        lines.append((nr, ' '.join(tokens), shape_of(tokens), len(tokens)))
    return lines


def sources(root, dirs):
    for d in dirs:
        for base, subdirs, files in os.walk(os.path.join(root, d)):
            subdirs.sort()
            for name in sorted(files):
                if name.endswith(EXTENSIONS):
                    path = os.path.join(base, name)
                    yield os.path.relpath(path, root), path


def runs(files, field, size, keep):
    """Pairs of places sharing `size` or more lines of `field` in a row:
    (file a, first, last, file b, first, last, key), each pair once, at
    its longest; keep(window) says which windows count."""
    where = {}
    for name, lines in files.items():
        for i in range(len(lines) - size + 1):
            w = tuple(l[field] for l in lines[i:i + size])
            if keep(lines[i:i + size]):
                where.setdefault(w, []).append((name, i))
    pairs = set()
    for w, places in where.items():
        if len(places) < 2 or len(places) > COMMON:
            continue
        for x in range(len(places)):
            for y in range(x + 1, len(places)):
                (fa, ia), (fb, ib) = places[x], places[y]
                if fa == fb and abs(ia - ib) < size:
                    continue   # a run overlapping itself: a repeated line
                pairs.add((fa, ia, fb, ib))
    found = []
    for fa, ia, fb, ib in sorted(pairs):
        if (fa, ia - 1, fb, ib - 1) in pairs:
            continue   # not the start of its run
        n = size
        while (fa, ia + n - size + 1, fb, ib + n - size + 1) in pairs:
            n += 1
        la, lb = files[fa], files[fb]
        text = '\n'.join(l[field] for l in la[ia:ia + n])
        key = hashlib.sha1(text.encode()).hexdigest()[:12]
        found.append((fa, la[ia][0], la[ia + n - 1][0], fb, lb[ib][0], lb[ib + n - 1][0], key))
    return found


def within(r, q):
    """Run r lies inside run q (the same two files)."""
    return r[0] == q[0] and r[3] == q[3] and q[1] <= r[1] and r[2] <= q[2] and q[4] <= r[4] and r[5] <= q[5]


def rich(window):
    return (sum(1 for l in window if l[3] >= SHAPE_TOKENS) >= SHAPE_RICH and
            len(set(l[2] for l in window)) >= SHAPE_KINDS)


def main(argv):
    allow_file, listing, args = None, False, []
    i = 0
    while i < len(argv):
        if argv[i] == '--allow' and i + 1 < len(argv):
            allow_file = argv[i + 1]
            i += 2
            continue
        if argv[i] == '--list':
            listing = True
        elif argv[i].startswith('-'):
            print('duplicates: unknown option %s (--allow FILE, --list)' % argv[i])
            return 2
        else:
            args.append(argv[i])
        i += 1
    if len(args) < 2:
        print('duplicates: usage: duplicates.py [--allow FILE] [--list] ROOT DIR...')
        return 2
    root, dirs = args[0], args[1:]
    files = {name: read(path) for name, path in sources(root, dirs)}
    allowed, bad = {}, 0
    if allow_file:
        with open(allow_file) as f:
            for nr, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                key, _, reason = line.partition(' ')
                if not reason.strip():
                    print('%s:%d: %s has no reason' % (allow_file, nr, key))
                    bad += 1
                allowed[key] = reason.strip()
    found = [r + ('identical',) for r in runs(files, 1, IDENTICAL_LINES, lambda w: True)]
    for r in runs(files, 2, SHAPE_LINES, rich):
        if not any(within(r, q) for q in found):
            found.append(r + ('shape',))
    used = set()
    for fa, a0, a1, fb, b0, b1, key, kind in found:
        ok = key in allowed
        used.add(key)
        if listing or not ok:
            print('%s:%d-%d ~ %s:%d-%d %s %s%s' % (fa, a0, a1, fb, b0, b1, key, kind, ' (allowed)' if ok else ''))
        bad += not ok and not listing
    for key in sorted(set(allowed) - used):
        print('%s: %s is allowed but no longer found: take it out' % (allow_file, key))
        bad += not listing
    print('duplicates: %d files, %d runs, %d not allowed' % (len(files), len(found), bad))
    return 1 if bad and not listing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
