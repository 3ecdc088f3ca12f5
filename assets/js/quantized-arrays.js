// Arrays that figures ship quantized (see generator/pipeline/quantize.py), back to numbers:
// {dtype, shape, offset, scale, axis?, data: base64} -> Float32Array (row-major). uint8 data
// is offset + scale * byte (one offset and scale per row when axis is 0); float16 is decoded
// bit by bit. Shared by the components that draw attributions and neuron groups.
(function () {
  "use strict";
  function half(h) {
    var s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, f = h & 1023;
    if (e === 0) return s * f * Math.pow(2, -24);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * Math.pow(2, e - 15);
  }
  function decode(enc) {
    var raw = atob(enc.data), n = raw.length, out, i;
    if (enc.dtype === "float16") {
      out = new Float32Array(n / 2);
      for (i = 0; i < out.length; i++) out[i] = half(raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8));
      return out;
    }
    out = new Float32Array(n);
    var rowLen = enc.axis === 0 ? n / enc.shape[0] : n;
    for (i = 0; i < n; i++) {
      var row = Math.floor(i / rowLen);
      var off = enc.axis === 0 ? enc.offset[row] : enc.offset, sc = enc.axis === 0 ? enc.scale[row] : enc.scale;
      out[i] = off + sc * raw.charCodeAt(i);
    }
    return out;
  }
  window.VellumArrays = { decode: decode, half: half };
})();
