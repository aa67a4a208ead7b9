'use strict';
// A stand-in for Google Cloud Storage, which is Signal's CDN 2 for uploads:
// test infrastructure in place of Google's service, not of our code. It
// serves, on the mock's own HTTPS server, the part of GCS's documented XML
// API resumable-upload protocol a Signal client uses, and nothing more:
//
// - the signed URL a CDN 2 upload form carries is a V4 signed URL for
//   "POST" whose signed headers are host, x-goog-content-length-range and
//   x-goog-resumable (Signal-Server gcp/CanonicalRequestGenerator.java,
//   attachments/GcsAttachmentGenerator.java). The signature here is an HMAC
//   over the same canonical request (not Google's RSA one, since we hold no
//   Google key): a request whose signed headers differ gets 403
//   SignatureDoesNotMatch, as GCS answers
//   (https://cloud.google.com/storage/docs/access-control/signed-urls).
// - POST to the signed URL with "x-goog-resumable: start" and no body opens
//   a session: 201 Created, the session URI in Location (the signed URL
//   plus upload_id)
//   (https://cloud.google.com/storage/docs/xml-api/post-object-resumable).
// - PUT to the session URI uploads: without Content-Range the body is the
//   whole object; with "Content-Range: bytes a-b/total" a piece, answered
//   308 Resume Incomplete with "Range: bytes=0-n" until complete; an empty
//   PUT with "Content-Range: bytes */total" asks for the status. The object
//   is stored once complete: 200 OK. A size outside
//   x-goog-content-length-range is refused with 400 EntityTooLarge
//   (https://cloud.google.com/storage/docs/performing-resumable-uploads,
//   https://cloud.google.com/storage/docs/xml-api/reference-headers
//   #xgoogcontentlengthrange).
//
//   const gcs = new GcsStandIn(https, { onObject(name, bytes) {...} });
//   gcs.form(key, uploadLength, 'localhost:PORT') -> the CDN 2 upload form
//   gcs.requests   // [{method, url, headers}] every request it answered
const crypto = require('crypto');

const PREFIX = '/cdn2'; // where the stand-in's "bucket" lives on the mock

class GcsStandIn {
  constructor(https, opts = {}) {
    this.secret = crypto.randomBytes(32);
    this.onObject = opts.onObject ?? (() => {});
    this.sessions = new Map();  // upload_id -> {name, max, chunks, received, done}
    this.requests = [];
    const mockListeners = https.listeners('request');
    https.removeAllListeners('request');
    https.on('request', (req, res) => {
      if (!this.handle(req, res)) for (const l of mockListeners) l.call(https, req, res);
    });
  }

  // CanonicalRequestGenerator.createFor: what the signature covers.
  canonical(pathname, query, host, range) {
    return ['POST', pathname, query, `host:${host}`, `x-goog-content-length-range:${range}`,
      'x-goog-resumable:start', '', 'host;x-goog-content-length-range;x-goog-resumable',
      'UNSIGNED-PAYLOAD'].join('\n');
  }

  sign(text) {
    return crypto.createHmac('sha256', this.secret).update(text).digest('hex');
  }

  // GcsAttachmentGenerator.generateAttachment, with `host` in place of
  // Signal's CDN 2 domain.
  form(key, uploadLength, host) {
    const pathname = `${PREFIX}/attachments/${encodeURIComponent(key)}`;
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const query = 'X-Goog-Algorithm=GOOG4-RSA-SHA256' +
      `&X-Goog-Credential=${encodeURIComponent(`test@example.invalid/${now.slice(0, 8)}/auto/storage/goog4_request`)}` +
      `&X-Goog-Date=${now}&X-Goog-Expires=90000` +
      '&X-Goog-SignedHeaders=host%3Bx-goog-content-length-range%3Bx-goog-resumable';
    const range = `1,${uploadLength}`;
    const signature = this.sign(this.canonical(pathname, query, host, range));
    this.signedHosts = this.signedHosts ?? new Map();
    this.signedHosts.set(signature, host);
    return {
      cdn: 2,
      key,
      headers: { host, 'x-goog-content-length-range': range, 'x-goog-resumable': 'start' },
      signedUploadLocation: `https://${host}${pathname}?${query}&X-Goog-Signature=${signature}`,
    };
  }

  // true when the request is the stand-in's (answered), else false
  handle(req, res) {
    const url = new URL(req.url, 'https://localhost');
    if (!url.pathname.startsWith(`${PREFIX}/`)) return false;
    this.requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      try {
        this.answer(req, url, Buffer.concat(chunks), res);
      } catch (e) {
        res.writeHead(500);
        res.end(String(e));
      }
    });
    return true;
  }

  answer(req, url, body, res) {
    const xml = (status, code, extra = {}) => {
      res.writeHead(status, { 'content-type': 'application/xml; charset=UTF-8', ...extra });
      res.end(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code></Error>`);
    };
    const uploadId = url.searchParams.get('upload_id');
    if (req.method === 'POST' && !uploadId) {
      const signature = url.searchParams.get('X-Goog-Signature') ?? '';
      const query = url.search.slice(1).replace(/&X-Goog-Signature=[^&]*/, '');
      // The request's Host is the URL's (HTTP/2 :authority); a test client
      // may reach "localhost" by its address, so the host part of the
      // check is the one that was signed.
      const host = this.signedHosts?.get(signature) ?? '';
      const range = req.headers['x-goog-content-length-range'] ?? '';
      const expect = this.sign(this.canonical(url.pathname, query, host, range));
      if (req.headers['x-goog-resumable'] !== 'start' ||
          signature.length !== expect.length ||
          !crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expect))) {
        return xml(403, 'SignatureDoesNotMatch');
      }
      if (body.length !== 0) return xml(400, 'InvalidArgument');
      const [min, max] = range.split(',').map(Number);
      const id = crypto.randomBytes(16).toString('hex');
      const name = decodeURIComponent(url.pathname.slice(PREFIX.length + 1));
      this.sessions.set(id, { name, min, max, chunks: [], received: 0, done: false });
      res.writeHead(201, { location: `https://${host}${url.pathname}?${url.search.slice(1)}&upload_id=${id}`,
        'content-length': '0' });
      return res.end();
    }
    if (req.method !== 'PUT' || !uploadId) return xml(405, 'MethodNotAllowed');
    const s = this.sessions.get(uploadId);
    if (!s) return xml(404, 'NoSuchUpload');
    if (s.done) {
      res.writeHead(200);
      return res.end();
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== body.length) return xml(400, 'IncompleteBody');
    const cr = req.headers['content-range'];
    let total;
    if (cr === undefined) {
      if (s.received !== 0) return xml(400, 'InvalidArgument');
      total = body.length;
    } else {
      const m = /^bytes (\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(cr);
      if (!m) return xml(400, 'InvalidArgument');
      total = m[4] === '*' ? undefined : Number(m[4]);
      if (m[1] !== '*') {
        const a = Number(m[2]);
        const b = Number(m[3]);
        if (a !== s.received || b - a + 1 !== body.length) return xml(400, 'InvalidArgument');
      } else if (body.length !== 0) {
        return xml(400, 'InvalidArgument');
      }
    }
    if (body.length) {
      s.chunks.push(body);
      s.received += body.length;
    }
    if (s.received > s.max || (total !== undefined && total > s.max)) {
      this.sessions.delete(uploadId);
      return xml(400, 'EntityTooLarge');
    }
    if (total === undefined || s.received < total) {
      res.writeHead(308, s.received ? { range: `bytes=0-${s.received - 1}` } : {});
      return res.end();
    }
    if (s.received < s.min) return xml(400, 'EntityTooSmall');
    s.done = true;
    const bytes = Buffer.concat(s.chunks);
    s.chunks = [];
    this.onObject(s.name, bytes);
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ name: s.name, size: String(bytes.length) }));
  }
}

module.exports = { GcsStandIn };
