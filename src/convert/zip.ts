// Reads a zip archive from memory through its central directory (no dependency, no copies):
// PyTorch's .pth files are zips of *stored* entries, so an entry is a view into the file buffer.
// Deflated entries (method 8) are inflated with node:zlib. Zip64 records are understood.

import { inflateRawSync } from 'node:zlib';
import { ConvertError } from './errors.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const U32_MAX = 0xffffffff;

/** True when the buffer starts like a zip archive (local file header "PK\x03\x04"). */
export function looksLikeZip(buf: Uint8Array): boolean {
  return buf.byteLength >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  /** `fileName` is only used in error messages. */
  constructor(
    private readonly buf: Uint8Array,
    private readonly fileName: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.readCentralDirectory();
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry's bytes: a view into the archive buffer for stored entries, a new buffer for deflated ones. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw this.fail(`has no entry ${name}`);
    const h = e.localHeaderOffset;
    if (h + 30 > this.buf.byteLength || this.view.getUint32(h, true) !== SIG_LOCAL) {
      throw this.fail(`entry ${name}: local header at ${h} is missing (truncated or corrupt archive)`);
    }
    const start = h + 30 + this.view.getUint16(h + 26, true) + this.view.getUint16(h + 28, true);
    const end = start + e.compressedSize;
    if (end > this.buf.byteLength) throw this.fail(`entry ${name}: data ends at byte ${end}, past the end of the file (truncated)`);
    const raw = this.buf.subarray(start, end);
    if (e.method === 0) return raw;
    if (e.method === 8) {
      let out: Uint8Array;
      try {
        out = inflateRawSync(raw);
      } catch (err) {
        throw this.fail(`entry ${name}: deflate data is corrupt (${(err as Error).message})`);
      }
      if (out.byteLength !== e.size) throw this.fail(`entry ${name}: inflated to ${out.byteLength} bytes, expected ${e.size}`);
      return out;
    }
    throw this.fail(`entry ${name}: compression method ${e.method} is not supported (only stored and deflate)`);
  }

  private fail(msg: string): ConvertError {
    return new ConvertError('RS_ERR_ZIP', `${this.fileName}: zip ${msg}`);
  }

  private readCentralDirectory(): void {
    const v = this.view;
    const n = this.buf.byteLength;
    // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535 bytes.
    let eocd = -1;
    for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
      if (v.getUint32(p, true) === SIG_EOCD) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0) throw this.fail('end-of-central-directory record not found (truncated file, or not a zip archive)');
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    const loc = eocd - 20;
    if (loc >= 0 && v.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
      const z = Number(v.getBigUint64(loc + 8, true));
      if (z + 56 > n || v.getUint32(z, true) !== SIG_ZIP64_EOCD) throw this.fail('zip64 end-of-central-directory record is missing or corrupt');
      count = Number(v.getBigUint64(z + 32, true));
      cdSize = Number(v.getBigUint64(z + 40, true));
      cdOffset = Number(v.getBigUint64(z + 48, true));
    }
    if (cdOffset + cdSize > n) throw this.fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) lies past the end of the file (truncated)`);
    let p = cdOffset;
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdOffset + cdSize || v.getUint32(p, true) !== SIG_CENTRAL) throw this.fail(`central directory entry ${i} is corrupt`);
      const method = v.getUint16(p + 10, true);
      let compressedSize = v.getUint32(p + 20, true);
      let size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let localHeaderOffset = v.getUint32(p + 42, true);
      const name = decoder.decode(this.buf.subarray(p + 46, p + 46 + nameLen));
      // Zip64 extended information: 64-bit values for the fields saturated at 0xFFFFFFFF, in this order.
      let x = p + 46 + nameLen;
      const extraEnd = x + extraLen;
      while (x + 4 <= extraEnd) {
        const id = v.getUint16(x, true);
        const len = v.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          const next = (): number => {
            const val = Number(v.getBigUint64(q, true));
            q += 8;
            return val;
          };
          if (size === U32_MAX) size = next();
          if (compressedSize === U32_MAX) compressedSize = next();
          if (localHeaderOffset === U32_MAX) localHeaderOffset = next();
        }
        x += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p = extraEnd + commentLen;
    }
  }
}
