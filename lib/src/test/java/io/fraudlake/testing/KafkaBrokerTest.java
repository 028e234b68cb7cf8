package io.fraudlake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

  @Test
  void aTopicWithThreePartitionsGivesBackWhatWasProduced() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start()) {
      broker.createTopic("events", 3);
      Set<String> sent = new TreeSet<>();
      Map<String, Object> producerConfig = new HashMap<>(broker.clientConfig());
      producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
      try (KafkaProducer<String, String> producer =
               new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < 60; i++) {
          String value = "event-" + i;
          producer.send(new ProducerRecord<>("events", i % 3, "card-" + i, value)).get();
          sent.add(value);
        }
      }

      Map<String, Object> consumerConfig = new HashMap<>(broker.clientConfig());
      consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "test");
      consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      Set<String> received = new TreeSet<>();
      Set<Integer> partitions = new HashSet<>();
      try (KafkaConsumer<String, String> consumer =
               new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(Set.of("events"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (received.size() < sent.size() && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
            received.add(record.value());
            partitions.add(record.partition());
          }
        }
      }
      assertEquals(sent, received);
      assertEquals(Set.of(0, 1, 2), partitions, "every partition read");
    }
  }
}
