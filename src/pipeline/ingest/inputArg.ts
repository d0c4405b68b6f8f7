// Input arguments "[ID=]URL" and the stream ids derived from URLs.

import { basename, extname } from 'node:path';
import { IngestError } from './errors.ts';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Lower-cased, [a-z0-9._-] only, dashes collapsed, at most 64 characters; '' if nothing is left. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64);
}

function isUrlWithScheme(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/**
 * A readable stream id from a URL: a file's name without extension ("/v/clip.mp4" -> "clip"),
 * a URL's last two path segments ("rtsp://cam/live/1" -> "live-1"), else its host
 * ("rtsp://10.0.0.5:554" -> "10.0.0.5"), a device's name ("/dev/video0" -> "video0").
 */
export function streamIdFromUrl(url: string): string {
  let id = '';
  if (isUrlWithScheme(url)) {
    let host = '';
    let segments: string[] = [];
    try {
      const u = new URL(url);
      host = u.hostname;
      segments = u.pathname.split('/').filter((s) => s.length > 0);
    } catch {
      segments = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/).slice(1).filter(Boolean);
    }
    const last = segments.slice(-2).map((s, i, all) => (i === all.length - 1 ? stripExt(s) : s));
    id = slug(last.join('-')) || slug(host);
  } else {
    id = slug(stripExt(basename(url)));
  }
  return id || 'stream';
}

function stripExt(name: string): string {
  const ext = extname(name);
  return ext && ext.length < name.length ? name.slice(0, -ext.length) : name;
}

/**
 * Parses "[ID=]URL". The "ID=" prefix counts only when ID is a plain id (letters, digits, . _ -)
 * and what follows is not empty, so URLs with "=" in their query ("http://h/p?a=b") are kept whole.
 */
export function parseInputArg(arg: string): { id: string; url: string } {
  const text = arg.trim();
  if (text.length === 0) {
    throw new IngestError('RS_ERR_INPUT_ARG', 'input "": empty; expected "[ID=]URL", e.g. "cam1=rtsp://host/stream"');
  }
  const eq = text.indexOf('=');
  if (eq > 0) {
    const id = text.slice(0, eq);
    const url = text.slice(eq + 1).trim();
    if (ID_RE.test(id) && !id.includes(':') && !id.includes('/')) {
      if (url.length === 0) {
        throw new IngestError('RS_ERR_INPUT_ARG', `input "${arg}": no URL after "${id}="; expected "[ID=]URL"`);
      }
      return { id, url };
    }
  }
  return { id: streamIdFromUrl(text), url: text };
}
