// A three-way line merge: what changed from `base` to `mine` and from `base` to `theirs` is
// found line by line (a longest common subsequence of each with the base), and the changes of
// both sides are applied to the base. Changes to different lines merge, adjacent lines
// included; changes to the same lines merge when they are the same change; otherwise they are
// a conflict, which shows both versions of the stretch between markers for a person to
// resolve. A conflict is a stretch of whole lines: two edits inside one line conflict even
// when they touch different words.
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

// What one side changed: stretches of `base` lines [start, end) replaced by `lines` (an
// insertion has start === end), in order, never touching each other.
function changes(base, side) {
  const match = matchLines(base, side);
  const found = [];
  let i = 0;
  let j = 0;
  for (;;) {
    let next = i;
    while (next < base.length && match[next] < 0) next++;
    const sideEnd = next < base.length ? match[next] : side.length;
    if (next > i || sideEnd > j) found.push({ start: i, end: next, lines: side.slice(j, sideEnd) });
    if (next === base.length) return found;
    i = next + 1;
    j = sideEnd + 1;
  }
}

// The base lines [start, end) with `edits` (changes of one side, inside that stretch) applied.
function applied(base, start, end, edits) {
  const out = [];
  let at = start;
  for (const edit of edits) {
    out.push(...base.slice(at, edit.start), ...edit.lines);
    at = edit.end;
  }
  out.push(...base.slice(at, end));
  return out;
}

// Merges the texts `mine` and `theirs`, both edited from `base`. Returns the merged text and
// the number of conflicts in it (0 when it can be saved as it is).
function mergeLines(base, mine, theirs) {
  const o = base.split("\n");
  const all = [
    ...changes(o, mine.split("\n")).map((edit) => ({ ...edit, mine: true })),
    ...changes(o, theirs.split("\n")).map((edit) => ({ ...edit, mine: false })),
  ].sort((x, y) => x.start - y.start || x.end - y.end);
  const out = [];
  let conflicts = 0;
  let at = 0; // the next base line not yet written
  let index = 0;
  while (index < all.length) {
    // A group: changes that overlap, or touch where one of them is an insertion (two
    // insertions at one place, or one right beside a replaced stretch, have no order of
    // their own). Changes of one side never overlap, so a group of one side is one change.
    const group = [all[index]];
    let start = all[index].start;
    let end = all[index].end;
    for (index++; index < all.length; index++) {
      const edit = all[index];
      const insertion = edit.start === edit.end || start === end;
      if (edit.start > end || (edit.start === end && !insertion)) break;
      group.push(edit);
      end = Math.max(end, edit.end);
    }
    out.push(...o.slice(at, start));
    const ours = applied(o, start, end, group.filter((edit) => edit.mine));
    const their = applied(o, start, end, group.filter((edit) => !edit.mine));
    if (group.every((edit) => edit.mine) || group.every((edit) => !edit.mine)
        || sameLines(ours, their)) {
      out.push(...(group[0].mine ? ours : their));
    } else {
      conflicts++;
      out.push(MARK_MINE, ...ours, MARK_SPLIT, ...their, MARK_THEIRS);
    }
    at = end;
  }
  out.push(...o.slice(at));
  return { text: out.join("\n"), conflicts };
}

// Whether `text` still holds a conflict's markers, as whole lines.
function hasConflictMarkers(text) {
  return text.split("\n").some((line) =>
    line === MARK_MINE || line === MARK_SPLIT || line === MARK_THEIRS);
}
