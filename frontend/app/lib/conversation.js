// Conversation
// ------------
// Every request the app sends to the API goes through `Backbone.sync`
// (`fetch`, `save`, `destroy`, `create`). Wrapping it once records each
// request and its answer as an `Exchange`, whichever model or collection sent
// it, and whatever `Backbone.emulateHTTP` made of it.

const Backbone = require('backbone');
const Exchange = require('models/exchange');

// The HTTP method each of `Backbone.sync`'s verbs means (Backbone keeps its
// own table private).
const HTTP_METHODS = {create: 'POST', read: 'GET', update: 'PUT', patch: 'PATCH', delete: 'DELETE'};
// The answer's headers worth seeing, and only these: never a cookie.
const SHOWN_HEADERS = ['Location', 'Allow', 'Retry-After'];

// A body as data when it is JSON, as text when not, `undefined` when empty.
function parseBody(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    return text;
  }
}

// What the server answered, from jQuery's `xhr`.
function answerOf(xhr) {
  const headers = {};
  for (const name of SHOWN_HEADERS) {
    const value = xhr.getResponseHeader(name);
    if (value !== null) headers[name] = value;
  }
  return {
    status: xhr.status,
    reason: xhr.statusText,
    responseBody: parseBody(xhr.responseText),
    headers
  };
}

// Record every request `Backbone.sync` sends in `exchanges`, newest first.
function recordSyncs(exchanges) {
  const sync = Backbone.sync;
  Backbone.sync = function (method, model, options = {}) {
    const exchange = new Exchange({meant: HTTP_METHODS[method]});
    let startedAt;
    // jQuery calls `beforeSend` with the request as it will really go out:
    // the method (`POST` under emulateHTTP), the URL, the JSON body.
    const beforeSend = options.beforeSend;
    options.beforeSend = function (xhr, settings) {
      startedAt = performance.now();
      exchange.set({method: settings.type, url: settings.url, requestBody: parseBody(settings.data)});
      exchanges.add(exchange, {at: 0});
      if (beforeSend) return beforeSend.apply(this, arguments);
    };
    const xhr = sync.call(this, method, model, options);
    xhr.always(() => {
      exchange.set({...answerOf(xhr), milliseconds: Math.round(performance.now() - startedAt)});
    });
    return xhr;
  };
  return exchanges;
}

module.exports = {recordSyncs};
