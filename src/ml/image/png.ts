// PNG encode/decode for 8-bit images, enough for image/caption datasets: writes RGB; reads greyscale, RGB,
// palette, grey+alpha and RGBA (alpha is composited on white), non-interlaced, bit depth 8. No dependency:
// zlib comes with Node.
import { deflateSync, inflateSync } from 'node:zlib';

/** Interleaved 8-bit RGB pixels, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

export function encodePng(img: RgbImage): Buffer {
  const { width, height, data } = img;
  if (data.length !== width * height * 3) throw new Error(`image data has ${data.length} bytes, ${width}×${height} RGB needs ${width * height * 3}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    raw.set(data.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function decodePng(bytes: Uint8Array): RgbImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file (bad signature)');
  let pos = 8;
  let width = 0, height = 0, colorType = -1;
  let palette: Uint8Array | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (body.length !== len) throw new Error(`PNG chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8]!;
      colorType = body[9]!;
      if (depth !== 8) throw new Error(`PNG bit depth ${depth} is not supported (only 8)`);
      if (body[12] !== 0) throw new Error('interlaced PNG is not supported');
      if (CHANNELS[colorType] === undefined) throw new Error(`PNG colour type ${colorType} is not supported`);
    } else if (type === 'PLTE') {
      palette = Uint8Array.from(body);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  if (width === 0 || height === 0) throw new Error('PNG has no IHDR');
  const ch = CHANNELS[colorType]!;
  const stride = width * ch;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= ch ? px[row + x - ch]! : 0;
      const b = y > 0 ? px[row - stride + x]! : 0;
      const c = x >= ch && y > 0 ? px[row - stride + x - ch]! : 0;
      const v = raw[src + x]!;
      let pred: number;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG filter type ${filter} is invalid`);
      }
      px[row + x] = (v + pred) & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const o = i * 3;
    if (colorType === 2) {
      data[o] = px[i * 3]!; data[o + 1] = px[i * 3 + 1]!; data[o + 2] = px[i * 3 + 2]!;
    } else if (colorType === 0) {
      data[o] = data[o + 1] = data[o + 2] = px[i]!;
    } else if (colorType === 3) {
      if (!palette) throw new Error('palette PNG without PLTE');
      const p = px[i]! * 3;
      data[o] = palette[p] ?? 0; data[o + 1] = palette[p + 1] ?? 0; data[o + 2] = palette[p + 2] ?? 0;
    } else {
      const grey = colorType === 4;
      const alpha = (grey ? px[i * 2 + 1]! : px[i * 4 + 3]!) / 255;
      for (let k = 0; k < 3; k++) {
        const v = grey ? px[i * 2]! : px[i * 4 + k]!;
        data[o + k] = Math.round(v * alpha + 255 * (1 - alpha));
      }
    }
  }
  return { width, height, data };
}

/**
 * Centre-crops to a square and area-averages to size×size: the small-model counterpart of production's
 * "resize the longer side to 1024, centre-crop to multiples of 8".
 */
export function resizeSquare(img: RgbImage, size: number): RgbImage {
  const side = Math.min(img.width, img.height);
  const x0 = Math.floor((img.width - side) / 2), y0 = Math.floor((img.height - side) / 2);
  const out = new Uint8Array(size * size * 3);
  for (let oy = 0; oy < size; oy++) {
    const ya = y0 + (oy * side) / size, yb = y0 + ((oy + 1) * side) / size;
    for (let ox = 0; ox < size; ox++) {
      const xa = x0 + (ox * side) / size, xb = x0 + ((ox + 1) * side) / size;
      const acc = new Float64Array(3);
      let wsum = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(y + 1, yb) - Math.max(y, ya);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const w = wy * (Math.min(x + 1, xb) - Math.max(x, xa));
          if (w <= 0) continue;
          const p = (y * img.width + x) * 3;
          for (let k = 0; k < 3; k++) acc[k] = acc[k]! + w * img.data[p + k]!;
          wsum += w;
        }
      }
      const o = (oy * size + ox) * 3;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round(acc[k]! / wsum);
    }
  }
  return { width: size, height: size, data: out };
}
