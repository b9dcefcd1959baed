// Brunch configuration
// --------------------
// `npm run build` compiles `app/` and the npm packages it requires into
// `public/`, which Flask serves at the site root:
//
// * `public/vendor.js`: Brunch's `require`, jQuery, Underscore, Backbone
//   and Chaplin;
// * `public/app.js`: our own modules, each wrapped as a CommonJS module named
//   after its path under `app/` (`app/views/item_view.js` is
//   `require('views/item_view')`), and the templates `app/templates/*.jst`,
//   compiled into functions by `plugins/underscore-templates-brunch`;
// * `public/app.css`: every stylesheet under `app/styles/`;
// * `app/assets/` copied verbatim (`index.html`, a Jinja template for Flask).

module.exports = {
  files: {
    javascripts: {
      joinTo: {
        // Our code in one file, libraries in the other: the libraries' file
        // changes only when `package.json` does.
        'app.js': /^app\//,
        'vendor.js': /^(?!app\/)/
      },
      order: {
        // The shim must run just before chaplin.js (see the shim's comment).
        before: ['vendor/chaplin_define.js', 'node_modules/chaplin/chaplin.js']
      }
    },
    stylesheets: {
      joinTo: 'app.css'
    }
  },
  modules: {
    // app.js ends by requiring `initialize`, so index.html needs no inline
    // script: a Content-Security-Policy without 'unsafe-inline' lets it run.
    autoRequire: {
      'app.js': ['initialize']
    }
  },
  npm: {
    // chaplin.js is already a bundle (Browserify's): Brunch cannot follow its
    // inner `require('./mediator')` calls, so it is copied as it is.
    static: ['node_modules/chaplin/chaplin.js']
  }
};
