// Routes
// ------
// Each URL maps to a `controller#action`: `items#index` runs `index()` of
// `controllers/items_controller.js`.

module.exports = function (match) {
  match('', 'items#index');
};
