// GraphiQL on /graphql, from the package's own copies (no CDN): the editor keeps the query
// and variables in the address, so a link shares them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var parameters = new URLSearchParams(window.location.search);
  var endpoint = window.location.pathname;

  function remember(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    history.replaceState(null, "", "?" + parameters.toString());
  }

  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      query: parameters.get("q") || undefined,
      variables: parameters.get("variables") || undefined,
      onEditQuery: function (value) { remember("q", value); },
      onEditVariables: function (value) { remember("variables", value); },
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
});
