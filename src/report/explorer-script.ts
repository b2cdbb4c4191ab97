/**
 * The browser side of the report's interactive explorer, as text inlined
 * into the HTML (so the report is one offline file). It reads the JSON
 * payload in <script id="xl-data" type="application/json">, rebuilds the
 * decoder with TF.js ops from the base64 float32 weights, and wires:
 *  - one slider per latent axis -> decoded spectrum redrawn on every input;
 *  - a latent scatter (choose x/y axes, colour by a descriptor) on a canvas;
 *    hovering a point shows its measured spectrum, its reconstruction and
 *    descriptors; clicking copies its latent into the sliders.
 * Plain ES2017, no template literals, so it can live in a TS string. Every
 * string from the data or the model (ids, descriptor and axis names) is set
 * with textContent or setAttribute, never parsed as HTML.
 */
export const EXPLORER_SCRIPT = String.raw`
(function () {
  'use strict';
  var P = JSON.parse(document.getElementById('xl-data').textContent);
  function f32(b64) {
    var s = atob(b64), n = s.length, u = new Uint8Array(n);
    for (var i = 0; i < n; i++) u[i] = s.charCodeAt(i);
    return new Float32Array(u.buffer);
  }
  var E = P.energies, m = E.length, d = P.axes.length;
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function niceTicks(lo, hi, target) {
    var raw = (hi - lo) / Math.max(1, target), mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    var step = (r < 1.5 ? 1 : r < 2.25 ? 2 : r < 3.5 ? 2.5 : r < 7.5 ? 5 : 10) * mag, out = [];
    for (var t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return { ticks: out, step: step };
  }
  function fmt(v, step) {
    var dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
    if (Math.abs(step * Math.pow(10, dec) - Math.round(step * Math.pow(10, dec))) > 1e-6) dec++;
    return v.toFixed(dec);
  }

  /** Line plot into an <svg> element: series [{y, color, width, dash}] on the shared energy grid. */
  function plot(svg, series, yr, title) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = +svg.getAttribute('width'), H = +svg.getAttribute('height');
    var L = 62, R = W - 24, T = 26, B = H - 42;
    var x0 = E[0], x1 = E[m - 1];
    var sx = function (v) { return L + (v - x0) / (x1 - x0) * (R - L); };
    var sy = function (v) { return B - (v - yr[0]) / (yr[1] - yr[0]) * (B - T); };
    el('rect', { x: L, y: T, width: R - L, height: B - T, fill: '#fff', stroke: '#333' }, svg);
    var g = el('g', { 'font-size': 11, fill: '#222' }, svg);
    var tx = niceTicks(x0, x1, 6), ty = niceTicks(yr[0], yr[1], 5), i;
    for (i = 0; i < tx.ticks.length; i++) {
      var x = sx(tx.ticks[i]);
      el('line', { x1: x, x2: x, y1: T, y2: B, stroke: '#e6e6e6' }, svg);
      el('line', { x1: x, x2: x, y1: B, y2: B + 5, stroke: '#333' }, svg);
      el('text', { x: x, y: B + 18, 'text-anchor': 'middle' }, g).textContent = fmt(tx.ticks[i], tx.step);
    }
    for (i = 0; i < ty.ticks.length; i++) {
      var y = sy(ty.ticks[i]);
      el('line', { x1: L, x2: R, y1: y, y2: y, stroke: '#e6e6e6' }, svg);
      el('line', { x1: L - 5, x2: L, y1: y, y2: y, stroke: '#333' }, svg);
      el('text', { x: L - 8, y: y + 4, 'text-anchor': 'end' }, g).textContent = fmt(ty.ticks[i], ty.step);
    }
    el('text', { x: (L + R) / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 12 }, svg).textContent = P.xLabel;
    el('text', { transform: 'translate(14 ' + (T + B) / 2 + ') rotate(-90)', 'text-anchor': 'middle', 'font-size': 12 }, svg).textContent = P.yLabel;
    if (title) el('text', { x: (L + R) / 2, y: 17, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 'bold' }, svg).textContent = title;
    for (var s = 0; s < series.length; s++) {
      var ys = series[s].y, dpath = '';
      for (var j = 0; j < m; j++) dpath += (j ? 'L' : 'M') + sx(E[j]).toFixed(1) + ' ' + sy(Math.max(yr[0] - (yr[1] - yr[0]), Math.min(yr[1] + (yr[1] - yr[0]), ys[j]))).toFixed(1);
      var p = el('path', { d: dpath, fill: 'none', stroke: series[s].color, 'stroke-width': series[s].width || 1.8 }, svg);
      if (series[s].dash) p.setAttribute('stroke-dasharray', series[s].dash);
      if (series[s].cls) p.setAttribute('class', series[s].cls);
    }
    var lx = R - 8, ly = T + 14, k = 0;
    for (s = 0; s < series.length; s++) {
      if (!series[s].label) continue;
      var t = el('text', { x: lx - 26, y: ly + 15 * k, 'text-anchor': 'end', 'font-size': 11 }, svg);
      t.textContent = series[s].label;
      el('line', { x1: lx - 22, x2: lx, y1: ly + 15 * k - 4, y2: ly + 15 * k - 4, stroke: series[s].color, 'stroke-width': 2, 'stroke-dasharray': series[s].dash || '' }, svg);
      k++;
    }
  }

  // ---- decoder from the embedded NetworkSpec ----
  var status = document.getElementById('xl-status');
  var decodeFn = null;
  function buildDecoder() {
    var steps = [];
    P.decoder.layers.forEach(function (l) {
      if (l.kind === 'dense') {
        var W = tf.tensor2d(f32(l.kernel), [l.inputs, l.units]), b = tf.tensor1d(f32(l.bias));
        steps.push(function (h) { return tf.add(tf.matMul(h, W), b); });
      } else if (l.kind === 'prelu') {
        var a = tf.tensor1d(f32(l.alpha));
        steps.push(function (h) { return tf.prelu(h, a); });
      } else if (l.kind === 'batchnorm') {
        var mu = tf.tensor1d(f32(l.mean)), va = tf.tensor1d(f32(l.variance)), eps = l.epsilon;
        steps.push(function (h) { return tf.batchNorm(h, mu, va, undefined, undefined, eps); });
      } else if (l.kind === 'activation') {
        var fn = l.fn;
        steps.push(function (h) {
          if (fn === 'relu') return tf.relu(h);
          if (fn === 'swish') return tf.mul(h, tf.sigmoid(h));
          if (fn === 'softplus') return tf.softplus(h);
          return h;
        });
      } else throw new Error('unknown layer kind ' + l.kind);
    });
    var nm = P.display;
    return function (z) {
      var out = tf.tidy(function () {
        var h = tf.tensor2d(z, [1, d]);
        for (var i = 0; i < steps.length; i++) h = steps[i](h);
        return h;
      });
      var y = Array.prototype.slice.call(out.dataSync());
      out.dispose();
      if (nm && nm.kind === 'standardize') for (var j = 0; j < m; j++) y[j] = y[j] * nm.std[j] + nm.mean[j];
      return y;
    };
  }

  var specSvg = document.getElementById('xl-spectrum');
  var values = P.axes.map(function (a) { return a.value0; });
  var baseline = null;
  function redraw() {
    if (!decodeFn) return;
    var y = decodeFn(values);
    var series = [];
    if (baseline) series.push({ y: baseline, color: '#bbbbbb', width: 2.5, label: 'all axes at 0' });
    series.push({ y: y, color: '#1f5fa8', width: 2, label: 'decoded', cls: 'xl-decoded' });
    plot(specSvg, series, P.yRange, 'Decoder output');
    specSvg.setAttribute('data-redraws', String(+(specSvg.getAttribute('data-redraws') || 0) + 1));
  }
  var sliderBox = document.getElementById('xl-sliders');
  var sliders = [];
  P.axes.forEach(function (a, i) {
    var row = document.createElement('div');
    row.className = 'xl-slider';
    var lab = document.createElement('label');
    lab.textContent = a.name;
    var inp = document.createElement('input');
    inp.type = 'range';
    inp.min = String(a.min);
    inp.max = String(a.max);
    inp.step = String((a.max - a.min) / 400);
    inp.value = String(a.value0);
    inp.id = 'xl-axis-' + i;
    var out = document.createElement('span');
    out.className = 'xl-value';
    out.textContent = (+inp.value).toFixed(2);
    inp.addEventListener('input', function () {
      values[i] = +inp.value;
      out.textContent = values[i].toFixed(2);
      redraw();
    });
    row.appendChild(lab);
    row.appendChild(inp);
    row.appendChild(out);
    sliderBox.appendChild(row);
    sliders.push({ inp: inp, out: out });
  });
  function setLatent(z) {
    for (var i = 0; i < d; i++) {
      values[i] = Math.max(P.axes[i].min, Math.min(P.axes[i].max, z[i]));
      sliders[i].inp.value = String(values[i]);
      sliders[i].out.textContent = values[i].toFixed(2);
    }
    redraw();
  }
  document.getElementById('xl-reset').addEventListener('click', function () {
    setLatent(P.axes.map(function (a) { return a.value0; }));
  });

  // ---- latent scatter with hover ----
  var pts = P.points;
  var canvas = document.getElementById('xl-scatter');
  var hoverSvg = document.getElementById('xl-hover');
  var info = document.getElementById('xl-info');
  if (pts && canvas) {
    var Z = f32(pts.z), S = f32(pts.spectra), D = pts.descriptors ? f32(pts.descriptors) : null, R = pts.recon ? f32(pts.recon) : null;
    var n = pts.n, k = pts.descriptorNames.length;
    var selX = document.getElementById('xl-x'), selY = document.getElementById('xl-y'), selC = document.getElementById('xl-c');
    P.axes.forEach(function (a, i) {
      [selX, selY].forEach(function (s) { var o = document.createElement('option'); o.value = String(i); o.textContent = a.name; s.appendChild(o); });
    });
    selY.value = d > 1 ? '1' : '0';
    var none = document.createElement('option'); none.value = '-1'; none.textContent = '(none)'; selC.appendChild(none);
    pts.descriptorNames.forEach(function (nm, j) { var o = document.createElement('option'); o.value = String(j); o.textContent = nm; selC.appendChild(o); });
    selC.value = k > 0 ? '0' : '-1';
    var VIR = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
    var px = new Float32Array(n), py = new Float32Array(n);
    function drawScatter() {
      var ctx = canvas.getContext('2d'), W = canvas.width, H = canvas.height;
      var ax = +selX.value, ay = +selY.value, ac = +selC.value;
      ctx.clearRect(0, 0, W, H);
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
      var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity], clo = Infinity, chi = -Infinity, i;
      for (i = 0; i < n; i++) {
        var xv = Z[i * d + ax], yv = Z[i * d + ay];
        lo[0] = Math.min(lo[0], xv); hi[0] = Math.max(hi[0], xv); lo[1] = Math.min(lo[1], yv); hi[1] = Math.max(hi[1], yv);
        if (ac >= 0 && isFinite(D[i * k + ac])) { clo = Math.min(clo, D[i * k + ac]); chi = Math.max(chi, D[i * k + ac]); }
      }
      var padX = (hi[0] - lo[0]) * 0.05 || 1, padY = (hi[1] - lo[1]) * 0.05 || 1;
      lo[0] -= padX; hi[0] += padX; lo[1] -= padY; hi[1] += padY;
      var L = 50, Rr = W - 10, T = 10, B = H - 36;
      ctx.strokeStyle = '#333'; ctx.strokeRect(L, T, Rr - L, B - T);
      ctx.fillStyle = '#222'; ctx.font = '11px sans-serif'; ctx.textAlign = 'center';
      var tx = niceTicks(lo[0], hi[0], 5), ty = niceTicks(lo[1], hi[1], 5);
      tx.ticks.forEach(function (t) { var x = L + (t - lo[0]) / (hi[0] - lo[0]) * (Rr - L); ctx.fillText(fmt(t, tx.step), x, B + 14); ctx.beginPath(); ctx.moveTo(x, B); ctx.lineTo(x, B + 4); ctx.stroke(); });
      ctx.textAlign = 'right';
      ty.ticks.forEach(function (t) { var y = B - (t - lo[1]) / (hi[1] - lo[1]) * (B - T); ctx.fillText(fmt(t, ty.step), L - 6, y + 4); ctx.beginPath(); ctx.moveTo(L - 4, y); ctx.lineTo(L, y); ctx.stroke(); });
      ctx.textAlign = 'center';
      ctx.fillText(P.axes[ax].name, (L + Rr) / 2, H - 6);
      ctx.save(); ctx.translate(12, (T + B) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(P.axes[ay].name, 0, 0); ctx.restore();
      for (i = 0; i < n; i++) {
        px[i] = L + (Z[i * d + ax] - lo[0]) / (hi[0] - lo[0]) * (Rr - L);
        py[i] = B - (Z[i * d + ay] - lo[1]) / (hi[1] - lo[1]) * (B - T);
        var c = '#4e79a7';
        if (ac >= 0) {
          var v = D[i * k + ac];
          c = isFinite(v) ? VIR[Math.round((chi > clo ? (v - clo) / (chi - clo) : 0.5) * 10)] : '#999';
        }
        ctx.fillStyle = c;
        ctx.globalAlpha = 0.8;
        ctx.beginPath(); ctx.arc(px[i], py[i], 2.6, 0, 2 * Math.PI); ctx.fill();
      }
      ctx.globalAlpha = 1;
      document.getElementById('xl-crange').textContent = ac >= 0 && isFinite(clo) ? P.points.descriptorNames[ac] + ': purple = ' + clo.toPrecision(3) + ', yellow = ' + chi.toPrecision(3) : '';
    }
    function nearest(ev) {
      var r = canvas.getBoundingClientRect();
      var x = (ev.clientX - r.left) * canvas.width / r.width, y = (ev.clientY - r.top) * canvas.height / r.height;
      var best = -1, bd = 64;
      for (var i = 0; i < n; i++) { var dd = (px[i] - x) * (px[i] - x) + (py[i] - y) * (py[i] - y); if (dd < bd) { bd = dd; best = i; } }
      return best;
    }
    function showPoint(i) {
      var series = [{ y: S.subarray(i * m, (i + 1) * m), color: '#222', width: 2, label: 'measured' }];
      if (R) series.push({ y: R.subarray(i * m, (i + 1) * m), color: '#d62728', width: 1.5, dash: '5 3', label: 'reconstruction' });
      plot(hoverSvg, series, P.yRange, pts.ids[i]);
      // Ids and descriptor names come from data files: text nodes only, never markup.
      while (info.firstChild) info.removeChild(info.firstChild);
      var line = function (text, bold) {
        var e = document.createElement(bold ? 'b' : 'div');
        e.textContent = text;
        info.appendChild(e);
      };
      line(pts.ids[i], true);
      for (var j = 0; j < k; j++) line(pts.descriptorNames[j] + ' = ' + (isFinite(D[i * k + j]) ? (+D[i * k + j].toPrecision(4)) : 'n/a'));
      var zs = [];
      for (j = 0; j < d; j++) zs.push('z' + j + ' = ' + Z[i * d + j].toFixed(3));
      line(zs.join(', '));
    }
    canvas.addEventListener('mousemove', function (ev) { var i = nearest(ev); if (i >= 0) showPoint(i); });
    canvas.addEventListener('click', function (ev) { var i = nearest(ev); if (i >= 0) setLatent(Array.prototype.slice.call(Z.subarray(i * d, (i + 1) * d))); });
    [selX, selY, selC].forEach(function (s) { s.addEventListener('change', drawScatter); });
    drawScatter();
    showPoint(0);
  }

  function start() {
    try {
      decodeFn = buildDecoder();
      baseline = decodeFn(P.axes.map(function () { return 0; }));
      redraw();
      status.textContent = 'TF.js ' + tf.version.tfjs + ' (' + tf.getBackend() + ' backend): decoder ready.';
      document.body.setAttribute('data-explorer', 'ready');
    } catch (e) {
      status.textContent = 'Explorer failed: ' + e.message;
      throw e;
    }
  }
  if (typeof tf === 'undefined') { status.textContent = 'TF.js did not load; the explorer is disabled.'; return; }
  // the CPU backend is exact enough and avoids WebGL set-up (and its warnings) for a single small network
  tf.setBackend('cpu').then(start);
})();
`;
