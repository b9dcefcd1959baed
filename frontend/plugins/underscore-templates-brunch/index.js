// Underscore templates, compiled at build time
// --------------------------------------------
// A Brunch plugin of our own: Brunch loads every package in `package.json`
// whose name contains "brunch", and this one is installed from this folder
// (`"file:plugins/underscore-templates-brunch"`). It turns each
// `app/templates/*.jst` file into a module that exports the template's
// function, already compiled:
//
//     const _ = require('underscore');
//     module.exports = function(obj){ … };
//
// In the browser, `_.template(text)` would compile it with `new Function()`,
// which is eval: a Content-Security-Policy must then allow 'unsafe-eval'. Here
// Node does it once, and `.source` is the compiled function's JavaScript. That
// function calls `_.escape` for `<%- %>`, hence the module's `require`.

// The app's own Underscore (frontend/node_modules): the same version that runs
// the templates in the browser.
const _ = require('underscore');

class UnderscoreTemplatesCompiler {
  // A mistake in a template fails the build, naming the file.
  compile(file) {
    const source = _.template(file.data).source;
    return `const _ = require('underscore');\nmodule.exports = ${source};\n`;
  }
}

UnderscoreTemplatesCompiler.prototype.brunchPlugin = true;
// A template: Brunch wraps the result as a module, like `.js` files, and
// joins it into `app.js`.
UnderscoreTemplatesCompiler.prototype.type = 'template';
UnderscoreTemplatesCompiler.prototype.extension = 'jst';

module.exports = UnderscoreTemplatesCompiler;
