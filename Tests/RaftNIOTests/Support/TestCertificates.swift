import Foundation
import RaftCore
import RaftNIO

/// Certificates made at test time with the `openssl` command (`.ci/run` installs it when
/// missing), in a temporary directory: a cluster CA, node certificates naming `node-<id>`
/// in their common name, a second, untrusted CA, and an expired node certificate.
final class TestCertificates: Sendable {
    let directory: String

    init(nodes: [NodeID]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("raft-nio-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeCA("ca")
        try makeCA("other-ca")
        for id in nodes { try makeNode(id, signedBy: "ca", name: "node-\(id)") }
        try makeNode(1, signedBy: "other-ca", name: "untrusted-node-1")
        try makeNode(1, signedBy: "ca", name: "expired-node-1", days: -1)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// TLS settings of node `id`: its certificate (or the one named `certificate`), trusting `ca`.
    func tls(for id: NodeID, certificate: String? = nil, trusting ca: String = "ca") throws -> RaftNIOTLS {
        let name = certificate ?? "node-\(id)"
        return try RaftNIOTLS(certificateFile: path("\(name).pem"), privateKeyFile: path("\(name).key"), trustRootsFile: path("\(ca).pem"))
    }

    private func makeCA(_ name: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("\(name).key"),
                     "-out", path("\(name).pem"), "-days", "30", "-subj", "/CN=\(name)"])
    }

    private func makeNode(_ id: NodeID, signedBy ca: String, name: String, days: Int = 30) throws {
        let common = name.hasPrefix("node-") ? name : "node-\(id)"
        let extensions = path("\(name).ext")
        try "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:\(common)\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("\(name).key"),
                     "-out", path("\(name).csr"), "-subj", "/CN=\(common)"])
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                     "-out", path("\(name).pem"), "-days", "\(days)", "-extfile", extensions])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments) }
    }
}

struct OpenSSLFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var description: String { "openssl \(arguments.joined(separator: " ")) failed" }
}
