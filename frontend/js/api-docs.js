// Starts Swagger UI on the page the gateway serves at /api/docs. A file, not an inline
// script, so the proxy's Content-Security-Policy (script-src 'self') lets it run.
SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The token is pasted in "Authorize"; nothing is sent to a third party.
  validatorUrl: null,
});
