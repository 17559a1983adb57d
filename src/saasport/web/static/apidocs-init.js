// Starts Swagger UI on the API docs page (saasport.web.apidocs). A file of its own, not an
// inline <script>: the page's Content-Security-Policy runs scripts from 'self' only. The page
// passes its settings in data- attributes of #swagger-ui.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    filter: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Never send the document to validator.swagger.io (and no badge image from there).
    validatorUrl: null,
    // Only the document the page names: no ?url= or ?configUrl= from the address bar.
    queryConfigEnabled: false,
    // The bearer token stays in memory: reloading the page forgets it.
    persistAuthorization: false,
  });
})();
