// The change stream: topic `changes` (duplicate detection on MessageId = event id), the dispatcher's subscription
// (peek-lock, dead-lettering after maxDeliveryCount), and an example team subscription with a SQL filter.
param name string
param location string
param tags object
param duplicateDetectionWindow string
param maxDeliveryCount int

@description('Principal id of the app identity: Data Sender on the topic, Data Receiver on the dispatcher subscription.')
param principalId string

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: 'changes'
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
  }
}

resource dispatcher 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: 'dispatcher'
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
  }
}

// An example of a team's own subscription: only warning and critical events about OpenAI, or anything tagged china.
resource exampleTeam 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: 'team-ml-platform'
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }

  resource rule 'rules' = {
    name: 'severity-and-provider'
    properties: {
      filterType: 'SqlFilter'
      sqlFilter: {
        sqlExpression: '(severity IN (\'warning\', \'critical\') AND provider = \'OpenAI\') OR tags LIKE \'%,china,%\''
      }
    }
  }
}

resource senderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
  scope: topic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
  }
}

resource receiverRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dispatcher.id, principalId, '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
  scope: dispatcher
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
  }
}

output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output topicName string = topic.name
output dispatcherSubscription string = dispatcher.name
