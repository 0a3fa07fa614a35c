// The app's service worker (scope /app/): keeps the app shell for offline use and shows Web
// Push notifications. The build (vite.config.ts) fills in the shell's files and the version.
/* eslint-disable no-restricted-globals */
const SHELL = self.__SHELL__;
const VERSION = self.__VERSION__;
const CACHE = "jobtinder-shell-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("jobtinder-shell-") && key !== CACHE).map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // Only the app's own files: the API (personal data, no-store) and photos go to the network.
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (request.mode === "navigate") {
    // A screen: the newest index.html when online, the cached shell when not.
    event.respondWith(
      fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match("./"))),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(request).then((hit) => hit || fetch(request)),
    ),
  );
});

self.addEventListener("push", (event) => {
  let message = { title: "Job Tinder", body: "", url: "/app/" };
  try {
    message = { ...message, ...(event.data ? event.data.json() : {}) };
  } catch (_) {
    message.body = event.data ? event.data.text() : "";
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      icon: "/app/icon-192.png",
      badge: "/app/icon-192.png",
      tag: message.match_id ? "match-" + message.match_id : message.type || "jobtinder",
      data: { url: message.url || "/app/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/app/", self.location.origin);
  if (target.origin !== self.location.origin || !target.pathname.startsWith("/app")) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).pathname.startsWith("/app")) {
          client.postMessage({ type: "navigate", url: target.pathname + target.search });
          return client.focus();
        }
      }
      return self.clients.openWindow(target.href);
    }),
  );
});
