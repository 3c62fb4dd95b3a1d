// Councillors Online: an account as people write it, read as the identities it could name.
//
// The directory indexes each account by its canonical identity (cllr/site/search.py): the
// part of its key after the platform (cllr/handles), lower-cased, such as
// "kit@toot.example" (Mastodon), "jo.bsky.social" (Bluesky), "cllrjo" (X),
// "channel:uc..." or "handle:jo" (YouTube), "https://jo.example.org" (a website).
// candidates() returns every identity a handle, address, profile URL or link to a post
// could name, in those same shapes; the search shows an account only on an exact match, so
// a candidate that names nothing costs one small file at most. identityShard() is the
// shard an identity is filed in: FNV-1a, as in cllr/site/search.py.
// tests/test_browser.py checks candidates() against the normalisation cases of cllr/handles.
"use strict";

var CllrHandles = (function () {
  var INVISIBLE = /[\u200b-\u200f\u2060\ufeff]/g;
  var TRAILING = /[.,;:!?)\]}'"»”’]+$/;
  var LEADING = /^[(\[{'"«“‘]+/;
  var FACEBOOK = /(^|\.)(facebook\.com|fb\.com)$/;

  function decode(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }

  function fromUrl(text, found, depth) {
    var url;
    try {
      url = new URL(/^[a-z][a-z0-9+.\-]*:\/\//i.test(text) ? text : "https://" + text);
    } catch (e) { return; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return;
    var host = url.hostname.toLowerCase().replace(/\.$/, "");
    if (host.indexOf(".") < 0) return;
    var path = url.hash.indexOf("#!/") === 0 ? url.hash.slice(2) : url.pathname;
    var segments = path.split("/").filter(Boolean).map(decode);
    url.searchParams.forEach(function (value, name) {
      if (depth < 2 && /^https?:\/\//i.test(value)) fromText(value, found, depth + 1);  // a redirector's target
      if (name === "screen_name") found(value);
    });
    var bare = host.replace(/^(www|m|mobile|web)\./, "");
    [host, bare, "www." + bare].forEach(function (h) {
      found(url.protocol + "//" + h);  // a website
      if (segments.length) found(url.protocol + "//" + h + "/" + segments[0]);  // a site under a path
    });
    if (FACEBOOK.test(host)) found("url:" + url.protocol + "//" + host + "/" + segments.join("/"));  // a profile known only by its address
    segments.forEach(function (segment, i) {
      var name = segment.replace(/^@/, "");
      var next = segments[i + 1];
      found(name);
      if (segment.charAt(0) === "@") {
        found(name.indexOf("@") < 0 ? name + "@" + host : name);  // a fediverse profile
        found("handle:" + name);  // a YouTube handle
      }
      if (FACEBOOK.test(host)) found(name.replace(/\./g, ""));
      if (!next) return;
      if (segment === "users") found(next + "@" + host);
      if (segment === "channel") found("channel:" + next);
      if (segment === "c" || segment === "user") found("custom:" + next);
      if (segment === "groups") found("group:" + next);
      if (segment === "company" || segment === "in" || segment === "school") found(segment + ":" + next);
      if (segment === "pages" && /^\d+$/.test(segments[i + 2] || "")) found("id:" + segments[i + 2]);
      if (segment === "p" && /-(\d{6,})$/.test(next)) found("id:" + next.match(/-(\d{6,})$/)[1]);
      if (segment === "pub" && i + 2 < segments.length) found("in:" + next + "-" + segments.slice(i + 2).reverse().join(""));  // LinkedIn's old public URLs
    });
  }

  function fromText(text, found, depth) {
    text.replace(INVISIBLE, "").split(/\s+/).forEach(function (token) {
      token = token.replace(LEADING, "").replace(TRAILING, "");
      if (!token) return;
      var did = token.match(/^at:\/\/(did:[a-z]+:[a-z0-9._:%\-]+)/i);
      if (did) { found(did[1]); return; }
      var address = token.match(/^@?([^@\s\/]+)@([^@\s\/]+\.[^@\s\/]+)$/);
      if (address) { found(address[1] + "@" + address[2]); return; }  // @name@server, name@server
      if (/^@?[\w.\-]+$/.test(token)) found(token.replace(/^@/, ""));  // @name, name.bsky.social
      if (/[.\/]/.test(token)) fromUrl(token, found, depth);
    });
  }

  function candidates(text) {
    var seen = {};
    var list = [];
    fromText(String(text), function (value) {
      var identity = value.toLowerCase();
      if (identity && !seen[identity]) { seen[identity] = true; list.push(identity); }
    }, 0);
    return list;
  }

  function identityShard(identity) {
    var bytes = new TextEncoder().encode(identity);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    return ("0" + (h & 0xff).toString(16)).slice(-2);
  }

  return { candidates: candidates, identityShard: identityShard };
})();
