// A one-page Node.js server: the app of profiles/apps/node-http.json.
const http = require("http");
const fs = require("fs");
const path = require("path");
const page = fs.readFileSync(path.join(__dirname, "index.html"));
http.createServer((request, response) => {
    response.writeHead(200, {"Content-Type": "text/html"});
    response.end(page);
}).listen(8080, "0.0.0.0");
