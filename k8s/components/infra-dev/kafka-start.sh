#!/usr/bin/env bash
# Starts the apache/kafka image with SASL/SCRAM-SHA-512 users (one file for docker-compose.yml,
# this component's StatefulSet and the Testcontainers run of libs/testing).
# - SCRAM users exist only in storage formatted with them (KRaft keeps them in its metadata log),
#   so the storage is formatted here first, with the users; the image's own format step then finds
#   it formatted and moves on. A later change of password goes through kafka-configs (runbook).
# - The image turns KAFKA_* variables into broker settings but drops any value holding '=', so the
#   listeners' JAAS logins go into a file named by KAFKA_OPTS: SCRAM on every client listener (the
#   broker signs in to itself as `broker`), PLAIN with the broker's user alone on the controller's.
# - /tmp/kafka-operator.properties lets the image's tools sign in as the operator:
#   /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 --command-config /tmp/kafka-operator.properties --list
# Env: the image's KAFKA_* settings (CLUSTER_ID, KAFKA_NODE_ID, KAFKA_PROCESS_ROLES,
# KAFKA_CONTROLLER_QUORUM_VOTERS, KAFKA_CONTROLLER_LISTENER_NAMES, KAFKA_LISTENERS,
# KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, KAFKA_INTER_BROKER_LISTENER_NAME, KAFKA_LOG_DIRS; the
# broker's own listener is named CLIENTS) and the passwords SCRAM_BROKER_PASSWORD,
# SCRAM_OPERATOR_PASSWORD, SCRAM_CATALOG_PASSWORD, SCRAM_POOL_PASSWORD, SCRAM_CONTRACTS_PASSWORD,
# SCRAM_POINTS_PASSWORD (letters, digits, '-' and '_' only); SCRAM_LICENSE_USAGE_PASSWORD, when set,
# adds the read-only user of the examples/license-usage pipeline.
set -euo pipefail
umask 077

for user in broker operator catalog pool contracts points; do
  var="SCRAM_${user^^}_PASSWORD"
  [[ "${!var:-}" =~ ^[A-Za-z0-9_-]+$ ]] || {
    echo "kafka-start: $var must be set to letters, digits, '-' or '_'" >&2
    exit 1
  }
done

jaas=/tmp/kafka-server-jaas.conf
cat >"$jaas" <<JAAS
KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$SCRAM_BROKER_PASSWORD";
};
controller.KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="$SCRAM_BROKER_PASSWORD" user_broker="$SCRAM_BROKER_PASSWORD";
};
JAAS
export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=$jaas"

cat >/tmp/kafka-operator.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="operator" password="$SCRAM_OPERATOR_PASSWORD";
PROPS

format=/tmp/kafka-format.properties
cat >"$format" <<PROPS
process.roles=$KAFKA_PROCESS_ROLES
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_CONTROLLER_QUORUM_VOTERS
controller.listener.names=$KAFKA_CONTROLLER_LISTENER_NAMES
listeners=$KAFKA_LISTENERS
listener.security.protocol.map=$KAFKA_LISTENER_SECURITY_PROTOCOL_MAP
inter.broker.listener.name=$KAFKA_INTER_BROKER_LISTENER_NAME
log.dirs=$KAFKA_LOG_DIRS
PROPS
readers=()
if [[ -n "${SCRAM_LICENSE_USAGE_PASSWORD:-}" ]]; then
  [[ "$SCRAM_LICENSE_USAGE_PASSWORD" =~ ^[A-Za-z0-9_-]+$ ]] || {
    echo "kafka-start: SCRAM_LICENSE_USAGE_PASSWORD must be letters, digits, '-' or '_'" >&2
    exit 1
  }
  readers+=(--add-scram "SCRAM-SHA-512=[name=license-usage,password=$SCRAM_LICENSE_USAGE_PASSWORD]")
fi
/opt/kafka/bin/kafka-storage.sh format --cluster-id="$CLUSTER_ID" -c "$format" --ignore-formatted "${readers[@]}" \
  --add-scram "SCRAM-SHA-512=[name=broker,password=$SCRAM_BROKER_PASSWORD]" \
  --add-scram "SCRAM-SHA-512=[name=operator,password=$SCRAM_OPERATOR_PASSWORD]" \
  --add-scram "SCRAM-SHA-512=[name=catalog,password=$SCRAM_CATALOG_PASSWORD]" \
  --add-scram "SCRAM-SHA-512=[name=pool,password=$SCRAM_POOL_PASSWORD]" \
  --add-scram "SCRAM-SHA-512=[name=contracts,password=$SCRAM_CONTRACTS_PASSWORD]" \
  --add-scram "SCRAM-SHA-512=[name=points,password=$SCRAM_POINTS_PASSWORD]"

exec /etc/kafka/docker/run
