package io.fraudlake.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection that POSTs JSON and reads the reply, for the serve_latency load
 * generator. Plain blocking sockets rather than {@code java.net.http.HttpClient}: the client's own
 * cost per request (a few microseconds here, no selector thread hand-offs) must stay small beside the
 * server's on two shared cores, and a request's bytes go out in one write.
 *
 * <p>Replies with {@code Content-Length} and chunked replies are both read (the JDK's HttpServer sends
 * chunks when a handler does not give the length up front). A reply saying {@code Connection: close},
 * and any I/O error, closes the socket; the next request connects again. Not thread-safe: one per
 * sending thread.
 */
final class HttpConnection implements Closeable {
  /** What came back: the status, and whether the body held the key the target must answer with. */
  record Reply(int status, boolean expectedBody) {}

  private final InetSocketAddress address;
  private final byte[] head;
  private final int timeoutMs;
  private final byte[] in = new byte[1 << 16];
  private int pos;
  private int limit;
  private byte[] out = new byte[1 << 12];
  private byte[] body = new byte[1 << 12];
  private Socket socket;
  private InputStream input;
  private OutputStream output;
  private long connects;
  private long resent;
  private long bytesRead;

  HttpConnection(URI uri, int timeoutMs) {
    this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
    this.timeoutMs = timeoutMs;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    this.head = ("POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
        + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** How many times a socket was opened: more than once means the server closed or an error did. */
  long connects() {
    return connects;
  }

  /** Requests sent again on a new socket because a kept-alive one had been closed by the server while idle. */
  long resent() {
    return resent;
  }

  /**
   * Sends {@code payload} and reads the whole reply; {@code expected} is searched for in its body. A server
   * may close an idle keep-alive connection (uvicorn after 5 s) just as a request goes out on it: when a
   * reused socket ends before any byte of the reply, the request is sent once more on a new one, as
   * HTTP clients do, and the time that took stays in its latency.
   */
  Reply post(byte[] payload, byte[] expected) throws IOException {
    boolean reused = socket != null;
    if (!reused) {
      connect();
    }
    long readBefore = bytesRead;
    try {
      write(payload);
      return read(expected);
    } catch (IOException e) {
      close();
      if (!reused || bytesRead != readBefore) {
        throw e;
      }
      resent++;
      connect();
      try {
        write(payload);
        return read(expected);
      } catch (IOException | RuntimeException again) {
        close();
        throw again;
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setKeepAlive(true);
    s.setSoTimeout(timeoutMs);
    s.connect(address, timeoutMs);
    socket = s;
    input = s.getInputStream();
    output = s.getOutputStream();
    pos = 0;
    limit = 0;
    connects++;
  }

  private void write(byte[] payload) throws IOException {
    byte[] length = Integer.toString(payload.length).getBytes(StandardCharsets.US_ASCII);
    int n = head.length + length.length + 4 + payload.length;
    if (out.length < n) {
      out = new byte[Math.max(n, out.length * 2)];
    }
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(length, 0, out, head.length, length.length);
    int at = head.length + length.length;
    out[at++] = '\r';
    out[at++] = '\n';
    out[at++] = '\r';
    out[at++] = '\n';
    System.arraycopy(payload, 0, out, at, payload.length);
    output.write(out, 0, n);
    output.flush();
  }

  private Reply read(byte[] expected) throws IOException {
    String status = line();
    if (!status.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP reply: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long contentLength = -1;
    boolean chunked = false;
    boolean closeAfter = status.startsWith("HTTP/1.0");
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
      switch (name) {
        case "content-length" -> contentLength = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.contains("chunked");
        case "connection" -> closeAfter = value.contains("close") ? true : value.contains("keep-alive") ? false : closeAfter;
        default -> { }
      }
    }
    int size;
    if (chunked) {
      size = 0;
      for (int chunk = chunkSize(); chunk > 0; chunk = chunkSize()) {
        size = readBody(size, chunk);
        line();
      }
      for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
        // trailers carry nothing the benchmark checks
      }
    } else if (contentLength >= 0) {
      size = readBody(0, Math.toIntExact(contentLength));
    } else {
      throw new IOException("reply without Content-Length or chunks (status " + code + ")");
    }
    boolean found = contains(body, size, expected);
    if (closeAfter) {
      close();
    }
    return new Reply(code, found);
  }

  private int chunkSize() throws IOException {
    String line = line();
    int semicolon = line.indexOf(';');
    return Integer.parseInt((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
  }

  /** Appends {@code n} body bytes after the first {@code have}; returns the new body length. */
  private int readBody(int have, int n) throws IOException {
    if (body.length < have + n) {
      byte[] bigger = new byte[Math.max(have + n, body.length * 2)];
      System.arraycopy(body, 0, bigger, 0, have);
      body = bigger;
    }
    int copied = 0;
    while (copied < n) {
      if (pos == limit) {
        fill();
      }
      int take = Math.min(n - copied, limit - pos);
      System.arraycopy(in, pos, body, have + copied, take);
      pos += take;
      copied += take;
    }
    return have + n;
  }

  /** One CRLF-terminated line, without the CRLF (headers are ASCII). */
  private String line() throws IOException {
    StringBuilder b = null;
    while (true) {
      for (int i = pos; i < limit; i++) {
        if (in[i] == '\n') {
          int end = i > pos && in[i - 1] == '\r' ? i - 1 : i;
          String part = new String(in, pos, end - pos, StandardCharsets.ISO_8859_1);
          pos = i + 1;
          if (b == null) {
            return part;
          }
          // a CR left at the end of the previous buffer belongs to this line's terminator
          if (end == i && b.length() > 0 && b.charAt(b.length() - 1) == '\r' && part.isEmpty()) {
            b.setLength(b.length() - 1);
          }
          return b.append(part).toString();
        }
      }
      if (b == null) {
        b = new StringBuilder();
      }
      b.append(new String(in, pos, limit - pos, StandardCharsets.ISO_8859_1));
      pos = limit;
      if (b.length() > 16_384) {
        throw new IOException("header line over 16 KiB");
      }
      fill();
    }
  }

  private void fill() throws IOException {
    int n = input.read(in, 0, in.length);
    if (n < 0) {
      throw new EOFException("the server closed the connection");
    }
    pos = 0;
    limit = n;
    bytesRead += n;
  }

  private static boolean contains(byte[] haystack, int length, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public void close() {
    Socket s = socket;
    socket = null;
    input = null;
    output = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // the socket is gone either way; the next request connects again
      }
    }
  }
}
