// Starts Swagger UI (from the flask-swagger-ui package's files) on the emulator's two documents.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = window.SwaggerUIBundle({
    urls: [
      { url: "/openapi.json", name: "Halo Cloud API (emulated)" },
      { url: "/_mock/openapi.json", name: "mock-halo control plane (/_mock)" },
    ],
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
});
