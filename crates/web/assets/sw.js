// The field form's service worker: keeps the form's files so that it opens with no connection.
// Observations are not this worker's business: the page queues them in IndexedDB and sends them
// itself, so nothing is lost if the worker is replaced.
const CACHE = 'truceline-field-v1';
const FILES = [
  '/field/',
  '/field/manifest.webmanifest',
  '/assets/field.js',
  '/assets/i18n.js',
  '/assets/style.css',
  '/assets/icon.svg',
];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The form's files: the network first (a new version is used as soon as it is reachable), the
// cache when offline. The API is never cached: a queued observation must reach the server.
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (!FILES.includes(url.pathname)) return;
  e.respondWith(
    fetch(e.request)
      .then((resp) => {
        const copy = resp.clone();
        if (resp.ok) caches.open(CACHE).then((c) => c.put(url.pathname, copy));
        return resp;
      })
      .catch(() => caches.match(url.pathname)),
  );
});
