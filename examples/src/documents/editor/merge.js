// A three-way line merge (the diff3 idea): what changed from `base` to `mine` and from `base`
// to `theirs` is found line by line (a longest common subsequence), and each stretch between
// lines that all three versions share is decided on its own: changed on one side only, that
// side wins; changed the same way on both, that change; changed differently on both, a
// conflict, which shows both versions of the stretch between markers for a person to resolve.
// A conflict is a stretch of whole lines: two edits inside the same line conflict even when
// they touch different words.
"use strict";

const MARK_MINE = "<<<<<<< yours";
const MARK_SPLIT = "=======";
const MARK_THEIRS = ">>>>>>> theirs";

// For each line of `a`, the index of the line of `b` it is matched with, or -1: a longest
// common subsequence, after the common head and tail (most edits touch a few lines).
function matchLines(a, b) {
  const match = new Array(a.length).fill(-1);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    match[head] = head;
    head++;
  }
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head
         && a[a.length - 1 - tail] === b[b.length - 1 - tail]) {
    match[a.length - 1 - tail] = b.length - 1 - tail;
    tail++;
  }
  const rows = a.length - head - tail;
  const cols = b.length - head - tail;
  // lengths[x][y]: the longest common subsequence of a[head+x..] and b[head+y..] (middle part).
  const lengths = [];
  for (let x = 0; x <= rows; x++) lengths.push(new Uint32Array(cols + 1));
  for (let x = rows - 1; x >= 0; x--) {
    for (let y = cols - 1; y >= 0; y--) {
      lengths[x][y] = a[head + x] === b[head + y]
        ? lengths[x + 1][y + 1] + 1
        : Math.max(lengths[x + 1][y], lengths[x][y + 1]);
    }
  }
  let x = 0;
  let y = 0;
  while (x < rows && y < cols) {
    if (a[head + x] === b[head + y]) {
      match[head + x] = head + y;
      x++;
      y++;
    } else if (lengths[x + 1][y] >= lengths[x][y + 1]) {
      x++;
    } else {
      y++;
    }
  }
  return match;
}

function sameLines(a, b) {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

// Merges the texts `mine` and `theirs`, both edited from `base`. Returns the merged text and
// the number of conflicts in it (0 when it can be saved as it is).
function mergeLines(base, mine, theirs) {
  const o = base.split("\n");
  const a = mine.split("\n");
  const b = theirs.split("\n");
  const inMine = matchLines(o, a);
  const inTheirs = matchLines(o, b);
  const out = [];
  let conflicts = 0;
  let i = 0; // next line of base
  let j = 0; // next line of mine
  let k = 0; // next line of theirs
  while (i <= o.length) {
    // The next base line that both sides kept: the end of the stretch to decide.
    let next = i;
    while (next < o.length && (inMine[next] < 0 || inTheirs[next] < 0)) next++;
    const endMine = next < o.length ? inMine[next] : a.length;
    const endTheirs = next < o.length ? inTheirs[next] : b.length;
    const was = o.slice(i, next);
    const ours = a.slice(j, endMine);
    const their = b.slice(k, endTheirs);
    if (sameLines(ours, was)) {
      out.push(...their);
    } else if (sameLines(their, was) || sameLines(ours, their)) {
      out.push(...ours);
    } else {
      conflicts++;
      out.push(MARK_MINE, ...ours, MARK_SPLIT, ...their, MARK_THEIRS);
    }
    if (next === o.length) break;
    out.push(o[next]);
    i = next + 1;
    j = endMine + 1;
    k = endTheirs + 1;
  }
  return { text: out.join("\n"), conflicts };
}

// Whether `text` still holds a conflict's markers, as whole lines.
function hasConflictMarkers(text) {
  return text.split("\n").some((line) =>
    line === MARK_MINE || line === MARK_SPLIT || line === MARK_THEIRS);
}
