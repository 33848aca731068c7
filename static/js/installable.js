// Registers the service worker (ville_hopital/installable.py) whose address the script tag carries.
(function () {
  const script = document.currentScript;
  if ("serviceWorker" in navigator && script && script.dataset.serviceWorker) {
    navigator.serviceWorker.register(script.dataset.serviceWorker).catch(function () {
      // A browser that refuses (private mode, an old version) keeps the site as it is.
    });
  }
})();
