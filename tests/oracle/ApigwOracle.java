// A stand-in for API Gateway's TLS client, used by the tests as an oracle: the JDK's default
// PKIX trust manager (server variant, revocation off, validation date set, no endpoint
// identification) followed by Apache HttpClient 4.5's DefaultHostnameVerifier with the public
// suffix list HttpClient loads by default.
//
// Input (argument 1): a manifest, one case per line, tab-separated:
//   id <TAB> validation time (Unix seconds) <TAB> peer name or "-" <TAB> anchors PEM file <TAB> chain PEM file
// The chain file holds what the server sends: the peer certificate first, then the rest.
// Output: one line per case on stdout, tab-separated:
//   id <TAB> ACCEPT
//   id <TAB> REFUSE <TAB> PKIX|HOST|PARSE <TAB> the message API Gateway's client would give
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.apache.http.conn.util.PublicSuffixMatcherLoader;

public final class ApigwOracle {
    public static void main(String[] args) throws Exception {
        DefaultHostnameVerifier verifier =
                new DefaultHostnameVerifier(PublicSuffixMatcherLoader.getDefault());
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = Files.newBufferedReader(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                String verdict;
                try {
                    verdict = judge(verifier, Long.parseLong(f[1]), f[2], f[3], f[4]);
                } catch (Exception e) {
                    verdict = "REFUSE\tPARSE\t" + oneLine(e.toString());
                }
                out.append(f[0]).append('\t').append(verdict).append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }

    static String judge(DefaultHostnameVerifier verifier, long at, String host, String anchorsFile,
            String chainFile) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        try {
            chain.addAll(read(cf, chainFile));
        } catch (Exception e) {
            return "REFUSE\tPARSE\t" + oneLine(e.toString());
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate c : read(cf, anchorsFile)) {
            anchors.add(new TrustAnchor(c, null));
        }
        PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, new X509CertSelector());
        params.setRevocationEnabled(false);
        params.setDate(new Date(at * 1000L));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(new CertPathTrustManagerParameters(params));
        X509TrustManager tm = null;
        for (TrustManager t : tmf.getTrustManagers()) {
            if (t instanceof X509TrustManager) {
                tm = (X509TrustManager) t;
            }
        }
        X509Certificate leaf = chain.get(0);
        String authType = leaf.getPublicKey().getAlgorithm();
        switch (authType) {
            case "RSA":
                authType = "ECDHE_RSA";
                break;
            case "EC":
                authType = "ECDHE_ECDSA";
                break;
            case "DSA":
                authType = "DHE_DSS";
                break;
            default:
                authType = "UNKNOWN";
        }
        try {
            tm.checkServerTrusted(chain.toArray(new X509Certificate[0]), authType);
        } catch (Exception e) {
            return "REFUSE\tPKIX\t" + oneLine(String.valueOf(e.getMessage()));
        }
        if (!host.equals("-")) {
            try {
                verifier.verify(host, leaf);
            } catch (Exception e) {
                // The text SSLConnectionSocketFactory logs when the verifier says no.
                return "REFUSE\tHOST\tHost name '" + host + "' does not match the certificate subject"
                        + " provided by the peer (" + leaf.getSubjectX500Principal() + ")\t"
                        + oneLine(String.valueOf(e.getMessage()));
            }
        }
        return "ACCEPT";
    }

    static List<X509Certificate> read(CertificateFactory cf, String file) throws Exception {
        List<X509Certificate> certs = new ArrayList<>();
        try (InputStream in = new FileInputStream(file)) {
            Collection<? extends Certificate> all = cf.generateCertificates(in);
            for (Certificate c : all) {
                certs.add((X509Certificate) c);
            }
        }
        return certs;
    }

    static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
    }
}
