import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * The local MongoDB-compatible server: mongo-java-server on its H2 backend (one MVStore file).
 * Chosen over FerretDB 1.x because its updates are atomic per collection, which the
 * version-checked single-document writes of DESIGN.md section 4 rely on.
 * Usage: MongoServerMain HOST PORT FILE
 */
public final class MongoServerMain {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: MongoServerMain HOST PORT FILE");
      System.exit(2);
    }
    MongoServer server = new MongoServer(new H2Backend(args[2]));
    server.bind(args[0], Integer.parseInt(args[1]));
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    System.out.println("mongo-java-server listening on " + args[0] + ":" + args[1] + " (" + args[2] + ")");
    Thread.currentThread().join();
  }
}
