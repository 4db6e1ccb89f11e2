/**
 * Jensen-Shannon distance between two frequency (or count) vectors, SciPy's
 * `jensenshannon(p / p.sum(), q / q.sum(), base)`. Base 2 by default, as in
 * test/fixtures/reference/jensenshannon.json: the distance then lies in [0, 1], which makes a fixed
 * threshold meaningful (SciPy's own default is the natural log).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new RangeError('jensenShannonDistance needs vectors of equal length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    // rel_entr(x, m) is 0 for x == 0
    if (pi > 0) js += pi * Math.log(pi / m);
    if (qi > 0) js += qi * Math.log(qi / m);
  }
  js /= 2;
  if (base !== Math.E) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js));
}
