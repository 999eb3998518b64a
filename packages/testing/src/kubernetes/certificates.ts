import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** PEM texts of a throw-away certificate authority and the certificates it signed. */
export interface TestCertificates {
  /** The CA certificate that signed both others: what a client or server trusts. */
  readonly ca: string
  /** Server certificate for `127.0.0.1` and `localhost`. */
  readonly serverCert: string
  readonly serverKey: string
  /** Client certificate (CN `radvisor`, O `system:monitoring`), as a kubeconfig user presents it. */
  readonly clientCert: string
  readonly clientKey: string
}

/**
 * Makes a self-signed CA, a server certificate and a client certificate with the `openssl`
 * command (present wherever Debian's base system is), valid for two days. The openssl CLI
 * is used rather than a JavaScript library so that the test kit adds no dependency and the
 * certificates are made by the same code real clusters' tooling uses.
 */
export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'radvisor-certs-'))
  try {
    const file = (name: string) => join(dir, name)
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    openssl(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=radvisor-test-ca'])
    const sign = (name: string, subject: string, extensions: string) => {
      writeFileSync(file(`${name}.ext`), extensions)
      openssl(['req', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject])
      openssl([
        'x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
        '-out', file(`${name}.crt`), '-days', '2', '-extfile', file(`${name}.ext`),
      ])
    }
    sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
    sign('client', '/CN=radvisor/O=system:monitoring', 'extendedKeyUsage=clientAuth\n')
    const read = (name: string) => readFileSync(file(name), 'utf8')
    return {
      ca: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function openssl(args: string[]): void {
  const result = Bun.spawnSync(['openssl', ...args], { stdout: 'ignore', stderr: 'pipe' })
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed (is the openssl command installed?): ${result.stderr.toString().trim()}`)
  }
}
