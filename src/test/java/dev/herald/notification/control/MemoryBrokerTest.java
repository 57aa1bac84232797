package dev.herald.notification.control;

class MemoryBrokerTest extends BrokerContract {

    @Override
    Broker createBroker(int historySize) {
        return new MemoryBroker(historySize);
    }
}
