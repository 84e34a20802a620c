import NIOSSL
import RaftCore

/// Mutual TLS between nodes: each side presents a certificate signed by a root both trust,
/// and each checks that the other's certificate names the node it claims to be.
///
/// **Identity.** A node's identity is its node id, written in its certificate's subject
/// common name as `node-<id>` (for example `CN=node-3`). The server compares it with the
/// sender id of the handshake, the client with the node it dialled; a mismatch is refused
/// (`RefusalReason.identityMismatch`). Host names are not verified: nodes are often
/// reached by IP address, and the node id is what Raft trusts. To map certificates to node
/// ids differently (a SAN, a lookup table), set ``identity``.
public struct RaftNIOTLS: Sendable {
    /// This node's certificate, then any intermediates.
    public var certificateChain: [NIOSSLCertificate]
    /// This node's private key.
    public var privateKey: NIOSSLPrivateKey
    /// The roots a peer's certificate must chain to.
    public var trustRoots: [NIOSSLCertificate]
    /// The node id a peer's (verified) certificate names, or nil if it names none.
    public var identity: @Sendable (NIOSSLCertificate) -> NodeID?

    /// Mutual TLS from loaded certificates: this node's chain and key, the roots its peers'
    /// certificates must chain to, and how a certificate names its node (by default the common name
    /// `node-<id>`).
    public init(
        certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, trustRoots: [NIOSSLCertificate],
        identity: @escaping @Sendable (NIOSSLCertificate) -> NodeID? = RaftNIOTLS.nodeIDFromCommonName
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.identity = identity
    }

    /// Loads PEM files: this node's certificate (chain), its key, and the trusted roots.
    public init(certificateFile: String, privateKeyFile: String, trustRootsFile: String) throws {
        self.init(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile),
            privateKey: try NIOSSLPrivateKey(file: privateKeyFile, format: .pem),
            trustRoots: try NIOSSLCertificate.fromPEMFile(trustRootsFile))
    }

    /// The default identity: a subject common name `node-<id>`.
    public static let nodeIDFromCommonName: @Sendable (NIOSSLCertificate) -> NodeID? = { certificate in
        guard let name = certificate.subjectName.last(where: { $0.type == .commonName })?.value, name.hasPrefix("node-") else { return nil }
        return NodeID(name.dropFirst(5))
    }

    @usableFromInline func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.trustRoots = .certificates(trustRoots)
        // Client certificates are required and verified against the roots; the identity
        // check happens at the handshake.
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(privateKey)
        configuration.trustRoots = .certificates(trustRoots)
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
